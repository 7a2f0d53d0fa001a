package hermetic

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
// the whole group is killed, cancels, and checks that the child is gone.
func TestCommandKillsProcessGroup(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process groups are unix-only")
	}
	root := t.TempDir()
	env, err := New(context.Background(), Config{Root: root, WorkFile: filepath.Join(root, "go.work")})
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(root, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := env.Command(ctx, root, "sh", "-c", "sleep 300 & echo $! > "+pidFile+"; wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if pid == 0 {
		t.Fatal("the grandchild never started")
	}
	cancel()
	cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil || isZombie(pid) {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("grandchild %d survived the cancellation", pid)
}

// isZombie reports whether pid has exited but not been reaped (by init).
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] == "Z"
}
