// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package config reads hackless.yaml, the one place where a repository
// sets what its steps check: the paths a step leaves out, the analyzers
// vet runs, where the golangci configuration lives, which modules ship,
// header rules, and so on. Every setting is optional; an absent file means
// the defaults. An unknown setting or a value of the wrong type is an
// error at its line, so a typo never silently turns a check off.
//
// Files in Kubernetes's formats (hack/boilerplate, .import-restrictions,
// hack/unwanted-dependencies.json, hack/spelling-exceptions.txt) keep
// working beside it, and HACKLESS_* variables still override.
package config

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// File is the configuration file's path, relative to the workspace root.
const File = "hackless.yaml"

// Config is the whole file.
type Config struct {
	Workspace       Workspace       `yaml:"workspace"`
	Spelling        Spelling        `yaml:"spelling"`
	Vet             Vet             `yaml:"vet"`
	Lint            Lint            `yaml:"lint"`
	Licenses        Licenses        `yaml:"licenses"`
	Gofmt           Gofmt           `yaml:"gofmt"`
	Boilerplate     Boilerplate     `yaml:"boilerplate"`
	Deps            Deps            `yaml:"deps"`
	Codegen         Codegen         `yaml:"codegen"`
	Typecheck       Typecheck       `yaml:"typecheck"`
	FileSizes       FileSizes       `yaml:"filesizes"`
	Scripts         Scripts         `yaml:"scripts"`
	Make            Make            `yaml:"make"`
	Shadow          []ShadowPair    `yaml:"shadow"`
	YAML            YAML            `yaml:"yaml"`
	Vulnerabilities Vulnerabilities `yaml:"vulnerabilities"`
	Cache           Cache           `yaml:"cache"`

	root *yaml.Node // the parsed file, for Line
}

// Line returns the line of hackless.yaml that sets the value at keys
// (lint, config; an index for an element of a list: scripts, steps, 2,
// verify), or of its nearest enclosing key that the file has; 1 when the
// file sets none of them.
func (c *Config) Line(keys ...string) int {
	if c == nil || c.root == nil {
		return 1
	}
	n, at := c.root, 1
	for _, k := range keys {
		if i, err := strconv.Atoi(k); err == nil && n.Kind == yaml.SequenceNode {
			if i < 0 || i >= len(n.Content) {
				break
			}
			n = n.Content[i]
			at = n.Line
			continue
		}
		if n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				at, next = n.Content[i].Line, n.Content[i+1]
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return at
}

// Cache configures the step cache shared by a team (the local one needs
// no setting). HACKLESS_REMOTE_CACHE, HACKLESS_REMOTE_CACHE_READONLY and
// HACKLESS_REMOTE_CACHE_TIMEOUT override these; the token is only ever
// taken from HACKLESS_REMOTE_CACHE_TOKEN.
type Cache struct {
	// Remote is the URL of a server that speaks bazel-remote's HTTP
	// protocol (http://cache.example.com:9090), shared by every clone and
	// CI job; passes missing locally are fetched from it and new passes
	// stored in it.
	Remote string `yaml:"remote"`
	// ReadOnly fetches from the remote cache and stores nothing there.
	ReadOnly bool `yaml:"readonly"`
	// KeyFile names a file (root-relative, or absolute; never commit it)
	// whose content is the key that signs the remote cache's entries, so
	// that the server cannot forge a pass; HACKLESS_REMOTE_CACHE_KEY, the
	// key itself, overrides it. Every writer and reader needs the key.
	KeyFile string `yaml:"keyFile"`
	// Timeout bounds the time a run spends on the remote cache, in all
	// (a Go duration; default 10s): a server that is down or slow costs
	// at most that, and the run goes on with the local cache.
	Timeout string `yaml:"timeout"`
	// BuildCache serves the go command's build cache (compiled packages
	// and export data, which vet and typecheck need) through the remote
	// cache too, with GOCACHEPROG: a fresh clone or CI job starts warm.
	// Outputs are kept in the step cache's directory (gocache/), trimmed
	// as the go command trims its own. HACKLESS_REMOTE_BUILDCACHE
	// overrides it.
	BuildCache bool `yaml:"buildcache"`
}

// Workspace says which modules make the workspace when hackless builds
// its own view of it (a repository without a checked-in go.work).
type Workspace struct {
	// Exclude lists module directories (slash-separated, relative to the
	// root) kept out of the workspace, such as tools modules; they are
	// also out of licenses' scope. Modules under tools/, hack/tools/,
	// internal/tools/ and the like are excluded without being listed.
	Exclude []string `yaml:"exclude"`
	// Include lists module directories to keep in although their path
	// looks like a tools module's.
	Include []string `yaml:"include"`
}

// Spelling configures verify:spelling.
type Spelling struct {
	// Exclude lists path globs (** matches directories) left unchecked;
	// the default leaves out release notes (CHANGELOG*, CHANGES*,
	// **/CHANGELOG/**, docs/releases/**).
	Exclude []string `yaml:"exclude"`
	// Locale is US or UK; the default is golangci-lint's misspell locale
	// when its configuration sets one, else neither (only misspellings).
	Locale string `yaml:"locale"`
	// Ignore lists words that are never reported.
	Ignore []string `yaml:"ignore"`
}

// Vet configures verify:vet.
type Vet struct {
	// Analyzers turns analyzers of go vet on or off by name
	// (copylocks: false).
	Analyzers map[string]bool `yaml:"analyzers"`
	// Exclude drops findings by path glob, analyzer and text.
	Exclude []Exclusion `yaml:"exclude"`
}

// Exclusion drops the findings that match all of its non-empty fields.
type Exclusion struct {
	Path     string `yaml:"path"`     // a path glob, ** matching directories
	Analyzer string `yaml:"analyzer"` // an analyzer name, such as copylocks
	Text     string `yaml:"text"`     // a substring of the message
}

// Lint configures verify:lint.
type Lint struct {
	// Config is the golangci-lint configuration file; the default is the
	// first .golangci.{yml,yaml,toml,json} found at the root, in hack/,
	// tools/, internal/tools/ or .github/.
	Config string `yaml:"config"`
	// Version is the golangci-lint version (module version, v2.x.y) run
	// when no module of the repository pins golangci-lint.
	Version string `yaml:"version"`
	// Timeout is golangci-lint's --timeout, a Go duration (10m); the
	// default is golangci-lint's own.
	Timeout string `yaml:"timeout"`
}

// Licenses configures verify:licenses.
type Licenses struct {
	// Exclude lists module directories whose dependencies do not ship
	// (besides workspace.exclude, the tools modules found by path, and
	// examples: modules under a directory named example or examples).
	Exclude []string `yaml:"exclude"`
	// Policy is "default" to hold a repository without a policy file
	// (hack/license-policy.json) to hackless's default allowlist; without
	// either, verify:licenses lists what that allowlist would reject, and
	// fails on none of it.
	Policy string `yaml:"policy"`
}

// Gofmt configures verify:gofmt.
type Gofmt struct {
	// Generated is "check" (the default: a generated file that gofmt
	// would change is reported, naming its generator, and never edited)
	// or "skip".
	Generated string `yaml:"generated"`
}

// Boilerplate configures verify:boilerplate.
type Boilerplate struct {
	// Dir is the directory of Kubernetes-style templates
	// (boilerplate.<ext>.txt); the default is hack/boilerplate, else the
	// directory of the tree that holds such files.
	Dir string `yaml:"dir"`
	// Exclude lists path globs left unchecked (copied third-party code).
	Exclude []string `yaml:"exclude"`
	// Rules are simple header rules, for repositories without Kubernetes
	// templates.
	Rules []HeaderRule `yaml:"rules"`
}

// HeaderRule says that the first Lines lines of every file matching Files
// contain Text or match Pattern.
type HeaderRule struct {
	Files   []string `yaml:"files"`   // path globs; default every .go file
	Lines   int      `yaml:"lines"`   // default 5
	Text    string   `yaml:"text"`    // a substring
	Pattern string   `yaml:"pattern"` // or a regular expression (RE2)
	// Header is what update inserts into a file that has none; the
	// default is Text as a // comment.
	Header string `yaml:"header"`
}

// Deps configures verify:deps.
type Deps struct {
	// OwnVersions lists module paths of the workspace released on their
	// own: out of the one-version rule (libraries that keep the minimum
	// versions their consumers need) and of the sibling-replace rule
	// (modules installed with go install <module>/cmd/x@version, whose
	// go.mod must have no replace), and never edited by update:deps.
	// hackless init records the modules that do not hold those rules
	// when it adopts.
	OwnVersions []string `yaml:"ownVersions"`
}

// Codegen configures verify:codegen: where the programs that
// //go:generate directives run come from, beyond the tools the
// repository's modules pin (tool directives, tools.go imports).
type Codegen struct {
	// Tools maps a program name to the package and version it is built
	// from, for programs no module pins:
	// {stringer: golang.org/x/tools/cmd/stringer@v0.30.0}.
	Tools map[string]string `yaml:"tools"`
	// Path lists directories (root-relative, or absolute) whose programs
	// generators may run, searched after the pinned tools: a directory
	// the repository's own Makefile builds its tools into. The
	// directories the go command installs into (GOBIN, GOPATH/bin,
	// ~/go/bin) are never searched otherwise.
	Path []string `yaml:"path"`
}

// Typecheck configures verify:typecheck.
type Typecheck struct {
	// Platforms lists the GOOS/GOARCH pairs every package must
	// type-check on; the default is linux/amd64, linux/arm64,
	// darwin/arm64 and windows/amd64.
	Platforms []string `yaml:"platforms"`
}

// FileSizes configures verify:filesizes.
type FileSizes struct {
	// Max is the largest a file may be, in bytes; the default is 1 MiB.
	Max int `yaml:"max"`
	// Allow lists path globs of files that may be larger.
	Allow []string `yaml:"allow"`
}

// Vulnerabilities configures verify:vulnerabilities.
type Vulnerabilities struct {
	// DB is the Go vulnerability database: a URL (https://vuln.go.dev)
	// or a directory (root-relative or absolute) with a copy of it in
	// its v1 format, for offline use. Without it nothing is checked.
	DB string `yaml:"db"`
	// Accepted is a JSON file (default
	// hack/accepted-vulnerabilities.json) mapping each accepted
	// vulnerability ID to the reason it is accepted.
	Accepted string `yaml:"accepted"`
}

// YAML configures verify:yaml.
type YAML struct {
	// Exclude lists path globs of files that are not YAML until
	// rendered (templates), besides Helm charts' templates/.
	Exclude []string `yaml:"exclude"`
}

// Scripts makes a repository's own check scripts steps of verify and
// update, unchanged: the migration path from hack/verify-*.sh.
type Scripts struct {
	// Discover names directories (one, hack, or a list: [hack,
	// scripts]) whose verify-X.sh and update-X.sh scripts (or
	// verify_X.sh, update_X.sh) become the step <dir>-X, as Kubernetes
	// pairs them: verify runs verify-X.sh, update runs update-X.sh; a
	// step with only update-X.sh verifies by running it on a copy and
	// comparing.
	Discover Strings `yaml:"discover"`
	// Exclude lists base-name globs of scripts Discover leaves out, as
	// the EXCLUDED_PATTERNS of Kubernetes's hack/make-rules/verify.sh
	// (verify-all.sh, verify-*-dockerized.sh).
	Exclude []string `yaml:"exclude"`
	// Steps declares scripts one by one.
	Steps []Script `yaml:"steps"`
}

// ShadowPair runs a built-in step in shadow beside the repository's own
// check it could replace: its findings fail nothing, and every verify
// says (go tool mage shadow, over runs) whether the two agreed. Once they
// do, Switched: true lets the built-in step replace the own check.
type ShadowPair struct {
	// Builtin is the built-in step (gofmt).
	Builtin string `yaml:"builtin"`
	// Own is the repository's check, a script or Make target step
	// (make-verify-gofmt, hack-gofmt).
	Own string `yaml:"own"`
	// Switched runs the built-in step in earnest, failing the run, and
	// the own check no more.
	Switched bool `yaml:"switched"`
}

// Make makes a repository's own Make targets steps of verify and update:
// day one runs the checks the repository already runs. hackless init
// writes the targets its verify target depends on.
type Make struct {
	// Dir is the directory of the Makefile (make -C dir); the default is
	// the root.
	Dir string `yaml:"dir"`
	// Targets are the targets that check, each the step make-<target>.
	Targets []MakeTarget `yaml:"targets"`
}

// MakeTarget is one Make target run as a step, in a scratch copy of the
// tree, as a script step is.
type MakeTarget struct {
	// Target is the target that checks (verify-gofmt).
	Target string `yaml:"target"`
	// Update is the target that fixes; the default is the Makefile's
	// target paired with it by name (update-X for verify-X, fix-X for
	// check-X, generate for verify-gen), if it has one.
	Update string `yaml:"update"`
	// Vars are VAR=value assignments passed to make (GO=go).
	Vars []string `yaml:"vars"`
	// Reads, as for a script: the default is every file.
	Reads []string `yaml:"reads"`
	// Uncached says the result depends on what no file describes (the
	// network, Docker): the step always runs.
	Uncached bool `yaml:"uncached"`
}

// Script is one script step.
type Script struct {
	// Name is the step's name, as in -what=<name>.
	Name string `yaml:"name"`
	// Doc is its one-line description.
	Doc string `yaml:"doc"`
	// Verify is the command that checks, run in a copy of the working
	// tree: a root-relative script path and its arguments, separated by
	// spaces (no shell quoting).
	Verify string `yaml:"verify"`
	// Update is the command that fixes, in the same form; what it
	// changes in a copy is written back to the tree.
	Update string `yaml:"update"`
	// Reads lists root-relative path globs (** matching directories) of
	// the files the scripts' result depends on; a pass is cached until
	// one of them changes. The default is every file, and the scripts
	// themselves always count.
	Reads []string `yaml:"reads"`
	// Uncached says that the result depends on what no file describes
	// (the network, git history): the step always runs.
	Uncached bool `yaml:"uncached"`
}

// Error is a problem at a line of the file.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", File, e.Line, e.Msg) }

// Parse reads the file's content. Empty data is the default
// configuration.
func Parse(data []byte) (*Config, error) {
	cfg := new(Config)
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(err)
	}
	if len(doc.Content) == 0 {
		return cfg, nil
	}
	if err := checkKeys(doc.Content[0], reflect.TypeOf(*cfg), ""); err != nil {
		return nil, err
	}
	if err := doc.Content[0].Decode(cfg); err != nil {
		return nil, yamlError(err)
	}
	cfg.root = doc.Content[0]
	return cfg, cfg.validate(doc.Content[0])
}

// yamlError turns a yaml error ("yaml: line 3: …" or a TypeError's
// "line 3: …") into an *Error.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ":")
		return &Error{Line: line, Msg: strings.TrimSpace(rest)}
	}
	return &Error{Line: 1, Msg: msg}
}

// checkKeys reports the first mapping key that names no field of t.
func checkKeys(n *yaml.Node, t reflect.Type, where string) error {
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return &Error{Line: n.Line, Msg: fmt.Sprintf("%s must be a mapping", orTop(where))}
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			fields[name] = t.Field(i).Type
			names = append(names, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return &Error{Line: k.Line, Msg: fmt.Sprintf("unknown setting %q in %s (known: %s)", k.Value, orTop(where), strings.Join(names, ", "))}
			}
			if err := checkKeys(n.Content[i+1], ft, strings.TrimPrefix(where+"."+k.Value, ".")); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := checkKeys(c, t.Elem(), where); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func orTop(where string) string {
	if where == "" {
		return File
	}
	return where
}

// validate checks values the types do not: enumerations and required
// fields.
func (c *Config) validate(top *yaml.Node) error {
	line := func(path ...string) int {
		n := top
		for _, p := range path {
			var next *yaml.Node
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				break
			}
			n = next
		}
		return n.Line
	}
	if g := c.Gofmt.Generated; g != "" && g != "check" && g != "skip" {
		return &Error{Line: line("gofmt", "generated"), Msg: fmt.Sprintf("gofmt.generated is %q; want check or skip", g)}
	}
	if l := strings.ToUpper(c.Spelling.Locale); l != "" && l != "US" && l != "UK" {
		return &Error{Line: line("spelling", "locale"), Msg: fmt.Sprintf("spelling.locale is %q; want US or UK", c.Spelling.Locale)}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Codegen.Tools)) {
		pkg, version, ok := strings.Cut(c.Codegen.Tools[name], "@")
		if !ok || pkg == "" || version == "" || version == "latest" || strings.ContainsAny(name, "/ ") {
			return &Error{Line: line("codegen", "tools", name), Msg: fmt.Sprintf("codegen.tools.%s is %q; want a program name and package@version (a version, not latest)", name, c.Codegen.Tools[name])}
		}
	}
	if p := c.Licenses.Policy; p != "" && p != "default" {
		return &Error{Line: line("licenses", "policy"), Msg: fmt.Sprintf("licenses.policy is %q; want default (or write hack/license-policy.json)", p)}
	}
	if t := c.Lint.Timeout; t != "" {
		if d, err := time.ParseDuration(t); err != nil || d <= 0 {
			return &Error{Line: line("lint", "timeout"), Msg: fmt.Sprintf("lint.timeout is %q; want a Go duration, as 10m", t)}
		}
	}
	if c.FileSizes.Max < 0 {
		return &Error{Line: line("filesizes", "max"), Msg: fmt.Sprintf("filesizes.max is %d; want a size in bytes", c.FileSizes.Max)}
	}
	for _, p := range c.Typecheck.Platforms {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok || goos == "" || goarch == "" || strings.ContainsAny(goarch, "/ ") {
			return &Error{Line: line("typecheck", "platforms"), Msg: fmt.Sprintf("typecheck.platforms has %q; want GOOS/GOARCH, as linux/amd64", p)}
		}
		if !slices.Contains(knownOS, goos) || !slices.Contains(knownArch, goarch) {
			return &Error{Line: line("typecheck", "platforms"), Msg: fmt.Sprintf("typecheck.platforms has %q, which Go does not know (go tool dist list lists the platforms)", p)}
		}
	}
	globs := []struct {
		keys  []string
		globs []string
	}{
		{[]string{"spelling", "exclude"}, c.Spelling.Exclude},
		{[]string{"boilerplate", "exclude"}, c.Boilerplate.Exclude},
		{[]string{"filesizes", "allow"}, c.FileSizes.Allow},
		{[]string{"yaml", "exclude"}, c.YAML.Exclude},
		{[]string{"scripts", "exclude"}, c.Scripts.Exclude},
	}
	for _, e := range c.Vet.Exclude {
		globs = append(globs, struct {
			keys  []string
			globs []string
		}{[]string{"vet", "exclude"}, []string{e.Path}})
	}
	for _, r := range c.Boilerplate.Rules {
		globs = append(globs, struct {
			keys  []string
			globs []string
		}{[]string{"boilerplate", "rules"}, r.Files})
	}
	for _, g := range globs {
		for _, p := range g.globs {
			if err := checkGlob(p); err != nil {
				return &Error{Line: line(g.keys...), Msg: fmt.Sprintf("%s has %q, not a path glob: %v", strings.Join(g.keys, "."), p, err)}
			}
		}
	}
	for _, sp := range c.Shadow {
		if sp.Builtin == "" || sp.Own == "" {
			return &Error{Line: line("shadow"), Msg: "a shadow pair needs builtin (a built-in step) and own (a script or Make target step)"}
		}
	}
	for _, mt := range c.Make.Targets {
		if mt.Target == "" || strings.ContainsAny(mt.Target, " ,:/$") {
			return &Error{Line: line("make", "targets"), Msg: fmt.Sprintf("make.targets has a target named %q; want a target of the Makefile", mt.Target)}
		}
		for _, v := range mt.Vars {
			if k, _, ok := strings.Cut(v, "="); !ok || k == "" || strings.ContainsAny(k, " /") {
				return &Error{Line: line("make", "targets"), Msg: fmt.Sprintf("make.targets.%s.vars has %q; want VAR=value", mt.Target, v)}
			}
		}
	}
	for _, sc := range c.Scripts.Steps {
		if sc.Name == "" || strings.ContainsAny(sc.Name, " ,:/") || (sc.Verify == "" && sc.Update == "") {
			return &Error{Line: line("scripts", "steps"), Msg: fmt.Sprintf("scripts.steps has a script named %q; each needs a name (no spaces, commas, colons or slashes) and a verify or update command", sc.Name)}
		}
	}
	for _, r := range c.Boilerplate.Rules {
		if (r.Text == "") == (r.Pattern == "") {
			return &Error{Line: line("boilerplate", "rules"), Msg: "a boilerplate rule needs exactly one of text and pattern"}
		}
	}
	return nil
}

// HacklessModule is the directory, relative to the root, of hackless's
// own module: the magefiles, with a go.mod and a go.work of their own, so
// that hackless's requirements never join the product's build list (see
// package adopt). It is a tools module that no setting brings back in.
const HacklessModule = "magefiles"

// Excluded reports whether the module directory dir (slash-separated,
// relative to the root) is a tools module kept out of the workspace view
// and of what ships: hackless's own module (HacklessModule), one listed
// in workspace.exclude, or, unless listed in workspace.include, one named
// tools or _tools, or under a directory so named (tools/, hack/tools/,
// internal/tools/).
func (c *Config) Excluded(dir string) bool {
	if dir == HacklessModule {
		return true
	}
	if c != nil && slices.Contains(c.Workspace.Exclude, dir) {
		return true
	}
	if c != nil && slices.Contains(c.Workspace.Include, dir) {
		return false
	}
	for _, part := range strings.Split(dir, "/") {
		if part == "tools" || part == "_tools" {
			return true
		}
	}
	return false
}

// checkGlob reports a path glob whose syntax is wrong ("[abc"): each of
// its segments but ** must be a pattern of path.Match.
func checkGlob(g string) error {
	for _, seg := range strings.Split(g, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return err
		}
	}
	return nil
}

// knownOS and knownArch are the GOOS and GOARCH values Go knows (go/build's
// lists, as go tool dist list shows them).
var (
	knownOS   = []string{"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"}
	knownArch = []string{"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm"}
)

// Strings is a list of strings that may be written as one string.
type Strings []string

// UnmarshalYAML reads a scalar as a list of one.
func (s *Strings) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value != "" {
			*s = Strings{n.Value}
		}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*s = list
	return nil
}
