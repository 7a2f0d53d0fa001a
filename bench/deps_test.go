// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package bench holds hackless's benchmarks. They download real modules
// and generate large workspaces, so they run only when asked:
//
//	go test -run '^$' -bench . -benchtime 5x ./bench
package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
	"github.com/hackless/hackless/steps"
)

// heavy are real libraries whose package closure ships more than 100
// dependency modules; the first five make the base, all of them the head.
var heavy = []struct{ module, version, pkg string }{
	{"github.com/spf13/cobra", "v1.8.1", "github.com/spf13/cobra"},
	{"github.com/prometheus/client_golang", "v1.20.5", "github.com/prometheus/client_golang/prometheus"},
	{"go.opentelemetry.io/otel/sdk", "v1.32.0", "go.opentelemetry.io/otel/sdk/trace"},
	{"k8s.io/client-go", "v0.31.4", "k8s.io/client-go/kubernetes"},
	{"github.com/gin-gonic/gin", "v1.10.0", "github.com/gin-gonic/gin"},
	{"github.com/spf13/viper", "v1.19.0", "github.com/spf13/viper"},
	{"go.etcd.io/etcd/client/v3", "v3.5.17", "go.etcd.io/etcd/client/v3"},
	{"github.com/aws/aws-sdk-go-v2/service/s3", "v1.67.0", "github.com/aws/aws-sdk-go-v2/service/s3"},
	{"github.com/hashicorp/vault/api", "v1.15.0", "github.com/hashicorp/vault/api"},
}

// heavyFiles returns a one-module workspace importing the first n heavy
// libraries.
func heavyFiles(n int) testws.Files {
	mod := "module example.com/big\n\ngo " + testws.GoVersion + "\n\nrequire (\n"
	src := "package main\n\nimport (\n"
	for _, h := range heavy[:n] {
		mod += "\t" + h.module + " " + h.version + "\n"
		src += "\t_ \"" + h.pkg + "\"\n"
	}
	return testws.Files{
		"go.work": "go " + testws.GoVersion + "\n\nuse .\n",
		"go.mod":  mod + ")\n",
		"main.go": src + ")\n\nfunc main() {}\n",
		"LICENSE": "Copyright 2026 Example\n",
		// vault/api and nine hashicorp modules it pulls in are MPL-2.0,
		// which CNCF's allowlist does not allow.
		steps.LicensePolicyFile: `{"allowed": ["Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MIT", "MPL-2.0"]}`,
		"LICENSES/.keep":        "",
		".gitignore":            "_output/\n",
	}
}

// heavyWorkspace commits the base (five libraries) and leaves the head
// (all of them) in the work tree, committed on a branch.
func heavyWorkspace(b *testing.B) string {
	dir := testws.New(b, heavyFiles(5))
	testws.Tidy(b, dir, ".")
	testws.Git(b, dir)
	testws.Run(b, dir, "git", "checkout", "-q", "-b", "feature")
	testws.Write(b, dir, heavyFiles(len(heavy)))
	testws.Tidy(b, dir, ".")
	testws.Run(b, dir, "git", "add", "-A")
	testws.Run(b, dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "add the rest")
	return dir
}

func runOnce(b *testing.B, dir string, mode build.Mode, step *build.Step) *build.Report {
	var out bytes.Buffer
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: mode, Dir: dir}, Out: &out}, step)
	if err != nil {
		b.Fatal(err)
	}
	if rep.ExitCode() != build.ExitOK {
		b.Fatalf("%s failed:\n%s", step.Name, out.String())
	}
	return rep
}

// BenchmarkLicenses measures verify:licenses, database included, on a
// workspace shipping more than 100 dependency modules.
func BenchmarkLicenses(b *testing.B) {
	dir := heavyWorkspace(b)
	runOnce(b, dir, build.Update, steps.Licenses) // write the database
	b.ResetTimer()
	for b.Loop() {
		runOnce(b, dir, build.Verify, steps.Licenses)
	}
}

// BenchmarkReview measures deps:review of the branch that adds four heavy
// libraries to a base that has five.
func BenchmarkReview(b *testing.B) {
	dir := heavyWorkspace(b)
	b.ResetTimer()
	for b.Loop() {
		runOnce(b, dir, build.Verify, steps.Review(steps.ReviewConfig{}))
	}
}
