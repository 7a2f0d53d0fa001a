// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hackless/hackless/build"
)

// BuildConfig says what GoBuild builds.
type BuildConfig struct {
	// What lists packages: root-relative directories as Kubernetes's WHAT
	// ("cmd/kubelet") or import paths. None means every main package of
	// every workspace module.
	What []string
	// Platforms lists GOOS/GOARCH pairs ("linux/amd64"); none means the
	// host's.
	Platforms []string
	// VersionPackage is the package whose gitVersion, gitCommit,
	// gitTreeState, gitMajor, gitMinor and buildDate variables are set with
	// -ldflags -X; "" means "main".
	VersionPackage string
	// SourceDateEpoch, when not "", is the build date in Unix seconds
	// (SOURCE_DATE_EPOCH); otherwise the commit time is used.
	SourceDateEpoch string
	// CGO enables cgo; by default builds are static (CGO_ENABLED=0), so
	// they depend on no C toolchain and are reproducible anywhere.
	CGO bool
}

// GoBuild returns one step per platform, named "build:<os>/<arch>", each of
// which builds the packages into _output/bin/<os>_<arch>/ with one go build
// invocation, -trimpath and no VCS stamping, version-stamped through
// -ldflags -X. Two builds of the same commit are byte-identical.
func GoBuild(cfg BuildConfig) []*build.Step {
	platforms := cfg.Platforms
	if len(platforms) == 0 {
		platforms = []string{""}
	}
	// The version is read from git once, by whichever platform starts first.
	var mu sync.Mutex
	var ldflags string
	stamp := func(pass *build.Pass) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if ldflags == "" {
			f, err := versionFlags(pass, cfg)
			if err != nil {
				return "", err
			}
			ldflags = f
		}
		return ldflags, nil
	}
	var out []*build.Step
	for _, p := range platforms {
		out = append(out, &build.Step{
			Name:   "build:" + p,
			Doc:    "build the main packages for " + p,
			Inputs: build.Inputs{Files: append([]string{"**/*.go"}, goModFiles...), Env: []string{"SOURCE_DATE_EPOCH"}, Tools: []build.Tool{build.GoCommand, build.Git}},
			// Its result is the binaries, stamped from git's HEAD and tags:
			// never cached (go build caches the compiled packages).
			Uncached: true,
			Run: func(pass *build.Pass) error {
				ldflags, err := stamp(pass)
				if err != nil {
					return err
				}
				return buildPlatform(pass, cfg, p, ldflags)
			},
		})
	}
	if len(platforms) == 1 && platforms[0] == "" {
		out[0].Name, out[0].Doc = "build", "build the main packages for this machine"
	}
	return out
}

func buildPlatform(pass *build.Pass, cfg BuildConfig, platform, ldflags string) error {
	goos, goarch, _ := strings.Cut(platform, "/")
	if platform == "" {
		out, err := pass.Output(pass.Command(".", "go", "env", "GOHOSTOS", "GOHOSTARCH"))
		if err != nil {
			return err
		}
		f := strings.Fields(string(out))
		if len(f) != 2 {
			return fmt.Errorf("go env GOHOSTOS GOHOSTARCH: %q", out)
		}
		goos, goarch = f[0], f[1]
	} else if goos == "" || goarch == "" {
		return fmt.Errorf("platform %q: want GOOS/GOARCH, as linux/amd64", platform)
	}
	pkgs, err := buildPackages(pass, cfg)
	if err != nil {
		return err
	}
	if len(pkgs) == 0 {
		pass.Notef("no main packages")
		return nil
	}
	outDir := filepath.Join(pass.Workspace.Root, "_output", "bin", goos+"_"+goarch)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	args := append([]string{"build", "-trimpath", "-buildvcs=false", "-ldflags=" + ldflags, "-o", outDir + string(filepath.Separator)}, pkgs...)
	cmd := pass.Command(".", "go", args...)
	cgo := "0"
	if cfg.CGO {
		cgo = "1"
	}
	cmd.Env = append(cmd.Env, "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED="+cgo)
	if _, err := pass.Output(cmd); err != nil {
		if pass.Context().Err() != nil {
			return err
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if f, ok := parsePos(line, func(p string) string { return pass.Workspace.Rel(pass.Workspace.Abs(p)) }); ok {
				pass.Report(f)
			}
		}
		return err
	}
	pass.Notef("%d package%s -> %s", len(pkgs), map[bool]string{true: "", false: "s"}[len(pkgs) == 1], pass.Workspace.Rel(outDir))
	return nil
}

// buildPackages resolves cfg.What, or lists every main package.
func buildPackages(pass *build.Pass, cfg BuildConfig) ([]string, error) {
	if len(cfg.What) > 0 {
		var out []string
		for _, w := range cfg.What {
			if fi, err := pass.Stat(w); err == nil && fi.IsDir() {
				w = "./" + strings.TrimPrefix(filepath.ToSlash(filepath.Clean(w)), "./")
			}
			out = append(out, w)
		}
		return out, nil
	}
	list, err := pass.Workspace.Packages(pass.Context())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range list {
		if p.Name == "main" && p.Error == nil {
			out = append(out, p.ImportPath)
		}
	}
	return out, nil
}

// Version is what a build stamps into binaries.
type Version struct {
	GitVersion, GitCommit, GitTreeState, GitMajor, GitMinor, BuildDate string
}

// versionFlags returns the -ldflags value that stamps the version.
func versionFlags(pass *build.Pass, cfg BuildConfig) (string, error) {
	v, err := GitVersion(pass, cfg.SourceDateEpoch)
	if err != nil {
		return "", err
	}
	pkg := cfg.VersionPackage
	if pkg == "" {
		pkg = "main"
	}
	var flags []string
	for _, kv := range [][2]string{
		{"gitVersion", v.GitVersion}, {"gitCommit", v.GitCommit}, {"gitTreeState", v.GitTreeState},
		{"gitMajor", v.GitMajor}, {"gitMinor", v.GitMinor}, {"buildDate", v.BuildDate},
	} {
		flags = append(flags, fmt.Sprintf("-X %s.%s=%s", pkg, kv[0], kv[1]))
	}
	return strings.Join(flags, " "), nil
}

// GitVersion reads the version from git as Kubernetes's version.sh does:
// `git describe --tags --match=v*` rewritten to semver (v1.2.3-4-gHASH
// becomes v1.2.3-4+HASH, v1.2.3-rc.1-4-gHASH becomes v1.2.3-rc.1.4+HASH),
// with -dirty appended when the work tree (less _output/) has changes;
// v0.0.0-master+HASH when there is no tag. The build date is
// sourceDateEpoch, else the commit time, in RFC 3339 UTC.
func GitVersion(pass *build.Pass, sourceDateEpoch string) (Version, error) {
	git := func(args ...string) (string, error) {
		out, err := pass.Output(pass.Command(".", "git", args...))
		return strings.TrimSpace(string(out)), err
	}
	var v Version
	var err error
	if v.GitCommit, err = git("rev-parse", "HEAD"); err != nil {
		return v, fmt.Errorf("not a git work tree with a commit, so there is no version to stamp: %w", err)
	}
	status, err := git("status", "--porcelain", "--", ".", ":(exclude)_output")
	if err != nil {
		return v, err
	}
	v.GitTreeState = "clean"
	if status != "" {
		v.GitTreeState = "dirty"
	}
	desc, err := git("describe", "--tags", "--match=v*", "--abbrev=14", "HEAD")
	if err != nil || desc == "" {
		desc = "v0.0.0-master+" + v.GitCommit[:14]
	}
	v.GitVersion = SemverFromDescribe(desc)
	if v.GitTreeState == "dirty" {
		v.GitVersion += "-dirty"
	}
	if m := majorMinorRE.FindStringSubmatch(v.GitVersion); m != nil {
		v.GitMajor, v.GitMinor = m[1], m[2]
	}
	epoch := sourceDateEpoch
	if epoch == "" {
		if epoch, err = git("show", "-s", "--format=%ct", "HEAD"); err != nil {
			return v, err
		}
	}
	secs, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return v, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want Unix seconds", epoch)
	}
	v.BuildDate = time.Unix(secs, 0).UTC().Format(time.RFC3339)
	return v, nil
}

var (
	describeRE   = regexp.MustCompile(`^(.*)-([0-9]+)-g([0-9a-f]+)$`)
	majorMinorRE = regexp.MustCompile(`^v([0-9]+)\.([0-9]+)`)
)

// SemverFromDescribe rewrites `git describe` output to semver.
func SemverFromDescribe(desc string) string {
	m := describeRE.FindStringSubmatch(desc)
	if m == nil {
		return desc
	}
	base, n, hash := m[1], m[2], m[3]
	if strings.Contains(base, "-") {
		return base + "." + n + "+" + hash // v1.2.3-rc.1-4-gHASH: a pre-release
	}
	return base + "-" + n + "+" + hash
}
