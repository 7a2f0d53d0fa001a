// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/steps"
)

// Test runs the tests of every workspace module. One go test invocation
// covers them all; it prints a line per package, and each failed test with
// its output at the line it points to. Build failures are failures. With
// $ARTIFACTS set, every test is a case in $ARTIFACTS/junit_test.xml.
func Test(ctx context.Context,
	race *bool, // run with the race detector
	short *bool, // pass -short
	run *string, // run only the tests matching this regular expression
	pkgs *string, // package patterns, space-separated (default: every package of every workspace module)
) error {
	var cfg steps.TestConfig
	if race != nil {
		cfg.Race = *race
	}
	if short != nil {
		cfg.Short = *short
	}
	if run != nil {
		cfg.Run = *run
	}
	if pkgs != nil {
		cfg.Packages = strings.Fields(*pkgs)
	}
	return Main(ctx, driver.Options{Options: build.Options{Name: "test"}}, steps.GoTest(cfg))
}

// Build builds every main package of the workspace into
// _output/bin/<os>_<arch>/. Select packages with WHAT="cmd/foo cmd/bar" or
// -what, and platforms with KUBE_BUILD_PLATFORMS="linux/amd64
// darwin/arm64" or -platforms (default: this machine). Binaries are built
// with -trimpath, without cgo unless HACKLESS_CGO=1, and stamped through
// -ldflags -X with gitVersion, gitCommit, gitTreeState, gitMajor, gitMinor
// and buildDate (SOURCE_DATE_EPOCH, else the commit time) in the package
// named by -versionpkg or HACKLESS_VERSION_PACKAGE (default: main). Two
// builds of the same commit are byte-identical. Platforms build in
// parallel, as many at once as CPUs and memory (2 GiB each) allow.
func Build(ctx context.Context,
	what *string, // packages, as directories or import paths (default: $WHAT, else every main package)
	platforms *string, // GOOS/GOARCH pairs (default: $KUBE_BUILD_PLATFORMS, else this machine)
	versionpkg *string, // the package the version variables are in (default: $HACKLESS_VERSION_PACKAGE, else main)
) error {
	cfg := steps.BuildConfig{
		What:            strings.Fields(flagOrEnv(what, "WHAT")),
		Platforms:       strings.Fields(flagOrEnv(platforms, "KUBE_BUILD_PLATFORMS")),
		VersionPackage:  flagOrEnv(versionpkg, "HACKLESS_VERSION_PACKAGE"),
		SourceDateEpoch: os.Getenv("SOURCE_DATE_EPOCH"),
		CGO:             os.Getenv("HACKLESS_CGO") == "1",
	}
	return Main(ctx, driver.Options{Options: build.Options{Name: "build", Jobs: buildJobs()}}, steps.GoBuild(cfg)...)
}

// Clean removes _output/, where hackless keeps binaries, reports and its
// private temporary directory.
func Clean() error {
	root, err := workspace.FindRoot(".")
	if err != nil {
		return &driver.ExitError{Code: build.ExitUsage, Err: err}
	}
	return os.RemoveAll(filepath.Join(root, "_output"))
}

func flagOrEnv(flag *string, env string) string {
	if flag != nil {
		return *flag
	}
	return os.Getenv(env)
}

// buildJobs bounds parallel builds by CPUs and by available memory, at
// 2 GiB a build; HACKLESS_JOBS overrides it.
func buildJobs() int {
	if os.Getenv("HACKLESS_JOBS") != "" {
		return 0 // driver.Main reads it
	}
	jobs := runtime.NumCPU()
	if avail := memAvailable(); avail > 0 {
		jobs = min(jobs, max(1, int(avail/(2<<30))))
	}
	return jobs
}

// memAvailable returns MemAvailable from /proc/meminfo in bytes, or 0 where
// it cannot be read.
func memAvailable() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb uint64
		if _, err := fmt.Sscanf(line, "MemAvailable: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}
