// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package hermetic builds the environment in which hackless runs the go
// command and every other tool, so that results do not depend on the
// caller's shell.
//
// From the caller's environment it removes every GO* and CGO_* variable,
// GOPATH among them (but the Go runtime's resource settings, Resources),
// the locale (LANG, LANGUAGE, LC_*), TZ, TMPDIR and the
// git variables a hook may set (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE …).
// It then sets:
//
//   - GOWORK to the workspace's go.work, whatever the caller's GOWORK was
//     (GOWORK=off included), and GOENV=off so that `go env -w` settings
//     cannot bring GOFLAGS or GOOS back;
//   - GOTOOLCHAIN to the workspace's toolchain line plus "+auto", or "auto"
//     when go.work has no toolchain line;
//   - LC_ALL=C, TZ=UTC, and TMPDIR to a private directory (see workspace.OutputDir);
//   - the module-fetch and cache settings as the caller's go command sees
//     them (from the environment or the go env file): GOPROXY, GOPRIVATE,
//     GONOPROXY, GONOSUMDB, GONOSUMCHECK, GOSUMDB, GOAUTH, GOINSECURE,
//     GOVCS, GOCACHE, GOCACHEPROG and GOMODCACHE. When GOMODCACHE is not set
//     it is $HOME/go/pkg/mod, never derived from GOPATH.
package hermetic

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// PassThrough lists the go settings taken from the caller. They choose where
// modules come from and where caches live, never what a build produces.
var PassThrough = []string{
	"GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GONOSUMCHECK", "GOSUMDB",
	"GOAUTH", "GOINSECURE", "GOVCS", "GOCACHE", "GOCACHEPROG", "GOMODCACHE",
}

// Resources lists the Go runtime's settings kept from the caller: how many
// CPUs and how much memory a Go program may use, never what it computes.
// A CI job that bounds GOMAXPROCS bounds the go commands and tools of a
// run too, as the go command passes it on to the compiler.
var Resources = []string{"GOMAXPROCS", "GOMEMLIMIT", "GOGC"}

// removedGit lists git's variables that redirect a repository; hooks set them.
var removedGit = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
	"GIT_PREFIX",
}

// Env is a hermetic environment rooted at a workspace.
type Env struct {
	vars   []string
	goBin  string
	tmpDir string
	goBins []string
}

// Config says what the environment is built for.
type Config struct {
	Root      string // the workspace root
	TempDir   string // the private TMPDIR; "" means Root/_output/tmp
	WorkFile  string // the absolute path of go.work
	Toolchain string // go.work's toolchain line, "" when it has none
	// Caller is the environment to start from; nil means os.Environ().
	Caller []string
}

// New builds the environment. It runs `go env` once, to read the caller's
// module-fetch settings as the go command resolves them.
func New(ctx context.Context, cfg Config) (*Env, error) {
	caller := cfg.Caller
	if caller == nil {
		caller = os.Environ()
	}
	goBin, err := lookPath("go", caller)
	if err != nil {
		return nil, fmt.Errorf("no go command on PATH: install Go from https://go.dev/dl and retry: %w", err)
	}
	base := clean(caller)
	fetch, err := fetchSettings(ctx, goBin, cfg.Root, base, caller)
	if err != nil {
		return nil, err
	}
	tmp := cfg.TempDir
	if tmp == "" {
		tmp = filepath.Join(cfg.Root, "_output", "tmp")
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("create private TMPDIR: %w", err)
	}
	toolchain := "auto"
	if cfg.Toolchain != "" {
		toolchain = cfg.Toolchain + "+auto"
	}
	vars := append(base, fetch...)
	vars = append(vars,
		"GOENV=off",
		"GOFLAGS=",
		"GOWORK="+cfg.WorkFile,
		"GOTOOLCHAIN="+toolchain,
		"LC_ALL=C",
		"TZ=UTC",
		"TMPDIR="+tmp,
	)
	return &Env{vars: vars, goBin: goBin, tmpDir: tmp, goBins: installDirs(caller)}, nil
}

// installDirs are where the caller's go install puts programs: GOBIN,
// the bin directory of each GOPATH entry, and ~/go/bin.
func installDirs(caller []string) []string {
	var dirs []string
	if d := get(caller, "GOBIN"); d != "" {
		dirs = append(dirs, filepath.Clean(d))
	}
	for _, p := range filepath.SplitList(get(caller, "GOPATH")) {
		if p != "" {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	if home := get(caller, "HOME"); home != "" {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	return dirs
}

// InstallDirs returns the directories the caller's go install puts
// programs in (GOBIN, GOPATH/bin, ~/go/bin): what is there was installed
// by hand and differs from machine to machine.
func (e *Env) InstallDirs() []string { return slices.Clone(e.goBins) }

// gitEnv makes a git command see the same tree on every machine: only the
// repository's own configuration and .gitignore files (and
// .git/info/exclude) count, never the caller's system or global
// configuration, its core.excludesFile, or GIT_CONFIG_* variables. Only
// the git commands hackless runs itself are isolated this way; the go
// command keeps the caller's git configuration, which fetching private
// modules may need.
func gitEnv(vars []string) []string {
	vars = slices.DeleteFunc(vars, func(kv string) bool { return strings.HasPrefix(kv, "GIT_CONFIG") })
	return append(vars,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=core.excludesFile",
		"GIT_CONFIG_VALUE_0="+os.DevNull,
		// The global configuration may have trusted a checkout owned by
		// another user; hackless only reads the tree it was started in.
		"GIT_CONFIG_KEY_1=safe.directory",
		"GIT_CONFIG_VALUE_1=*",
	)
}

// Vars returns the environment as KEY=value pairs, for exec.Cmd.Env.
func (e *Env) Vars() []string { return slices.Clone(e.vars) }

// Get returns the value of key in the environment.
func (e *Env) Get(key string) string { return get(e.vars, key) }

// TempDir returns the private TMPDIR under _output/.
func (e *Env) TempDir() string { return e.tmpDir }

// Command returns a command that runs name in dir with the hermetic
// environment, in a process group of its own: when ctx is done the whole
// group is killed, so no grandchild outlives the run. "go" means the go
// command found on the caller's PATH.
func (e *Env) Command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	if name == "go" {
		name = e.goBin
	} else if !strings.ContainsRune(name, filepath.Separator) {
		// Found on this environment's PATH, not on the process's.
		if p, err := lookPath(name, e.vars); err == nil {
			name = p
		}
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = e.Vars()
	if filepath.Base(name) == "git" || filepath.Base(name) == "git.exe" {
		cmd.Env = gitEnv(cmd.Env)
	}
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)
	return cmd
}

// LookPath finds a program on the environment's PATH; "go" is the go
// command the environment runs.
func (e *Env) LookPath(name string) (string, error) {
	if name == "go" {
		return e.goBin, nil
	}
	return lookPath(name, e.vars)
}

// With returns a copy of the environment with the given KEY=value pairs set.
func (e *Env) With(kv ...string) *Env {
	vars := e.Vars()
	for _, p := range kv {
		k, _, _ := strings.Cut(p, "=")
		vars = slices.DeleteFunc(vars, func(v string) bool { return strings.HasPrefix(v, k+"=") })
		vars = append(vars, p)
	}
	return &Env{vars: vars, goBin: e.goBin, tmpDir: e.tmpDir, goBins: e.goBins}
}

// clean drops every variable that could change a tool's result.
func clean(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case slices.Contains(Resources, k):
		case strings.HasPrefix(k, "GO"), strings.HasPrefix(k, "CGO_"),
			k == "LANG", k == "LANGUAGE", strings.HasPrefix(k, "LC_"),
			k == "TZ", k == "TMPDIR", slices.Contains(removedGit, k):
			continue
		}
		out = append(out, kv)
	}
	return out
}

// fetchSettings asks the go command for the caller's module-fetch settings,
// honoring the caller's go env file but nothing that changes builds.
func fetchSettings(ctx context.Context, goBin, dir string, base, caller []string) ([]string, error) {
	env := slices.Clone(base)
	for _, k := range append(slices.Clone(PassThrough), "GOENV") {
		if v, ok := lookup(caller, k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=")
	cmd := exec.CommandContext(ctx, goBin, append([]string{"env", "-json"}, PassThrough...)...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("parse go env -json: %w", err)
	}
	var vars []string
	for _, k := range PassThrough {
		if v := m[k]; v != "" {
			vars = append(vars, k+"="+v)
		}
	}
	return vars, nil
}

func lookup(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v, true
		}
	}
	return "", false
}

func get(env []string, key string) string {
	v, _ := lookup(env, key)
	return v
}

// lookPath finds file on the PATH of env.
func lookPath(file string, env []string) (string, error) {
	if strings.ContainsRune(file, filepath.Separator) {
		if fi, err := os.Stat(file); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s is not an executable file", file)
		}
		return file, nil
	}
	for _, dir := range filepath.SplitList(get(env, "PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found in PATH", file)
}
