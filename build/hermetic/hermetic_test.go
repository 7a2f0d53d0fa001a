// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package hermetic

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewNeutralizesCaller(t *testing.T) {
	root := t.TempDir()
	home := t.TempDir()
	caller := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"GOFLAGS=-mod=vendor -tags=foo",
		"GO111MODULE=off",
		"GOPATH=/nonexistent",
		"GOWORK=off",
		"GOOS=windows",
		"GOARCH=arm64",
		"CGO_ENABLED=0",
		"CGO_CFLAGS=-O0",
		"GOEXPERIMENT=nocoverageredesign",
		"GOROOT=/wrong",
		"LANG=de_DE.UTF-8",
		"LC_MESSAGES=de_DE.UTF-8",
		"TZ=Asia/Tokyo",
		"TMPDIR=/somewhere",
		"GIT_DIR=/elsewhere/.git",
		"GOPROXY=https://proxy.example.com",
		"GOPRIVATE=example.com/private",
		"KEEP_ME=1",
		"GOMAXPROCS=1",
		"GOMEMLIMIT=1GiB",
		"GOGC=50",
	}
	env, err := New(context.Background(), Config{Root: root, WorkFile: filepath.Join(root, "go.work"), Toolchain: "go1.26.3", Caller: caller})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"GOFLAGS":      "",
		"GOWORK":       filepath.Join(root, "go.work"),
		"GOENV":        "off",
		"GOTOOLCHAIN":  "go1.26.3+auto",
		"LC_ALL":       "C",
		"TZ":           "UTC",
		"TMPDIR":       filepath.Join(root, "_output", "tmp"),
		"GOPROXY":      "https://proxy.example.com",
		"GOPRIVATE":    "example.com/private",
		"GOMODCACHE":   filepath.Join(home, "go", "pkg", "mod"),
		"KEEP_ME":      "1",
		"GOMAXPROCS":   "1",
		"GOMEMLIMIT":   "1GiB",
		"GOGC":         "50",
		"HOME":         home,
		"GO111MODULE":  "",
		"GOPATH":       "",
		"GOOS":         "",
		"GOARCH":       "",
		"CGO_ENABLED":  "",
		"CGO_CFLAGS":   "",
		"GOEXPERIMENT": "",
		"GOROOT":       "",
		"LANG":         "",
		"LC_MESSAGES":  "",
		"GIT_DIR":      "",
	}
	for k, v := range want {
		if got := env.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if fi, err := os.Stat(env.TempDir()); err != nil || !fi.IsDir() {
		t.Errorf("private TMPDIR not created: %v", err)
	}
	if env.With("GOWORK=off").Get("GOWORK") != "off" || env.Get("GOWORK") == "off" {
		t.Error("With must return a changed copy")
	}
}

func TestNewDefaultToolchain(t *testing.T) {
	root := t.TempDir()
	env, err := New(context.Background(), Config{Root: root, WorkFile: filepath.Join(root, "go.work")})
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Get("GOTOOLCHAIN"); got != "auto" {
		t.Errorf("GOTOOLCHAIN = %q, want auto", got)
	}
}

func TestNewWithoutGo(t *testing.T) {
	root := t.TempDir()
	_, err := New(context.Background(), Config{Root: root, WorkFile: filepath.Join(root, "go.work"), Caller: []string{"PATH=" + t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), "no go command on PATH") {
		t.Errorf("err = %v", err)
	}
}

// TestCommandKillsProcessGroup starts a shell whose child outlives it unless
