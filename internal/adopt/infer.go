// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package adopt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
	"gopkg.in/yaml.v3"

	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/atomicfile"
	"github.com/hackless/hackless/steps"
)

// A setting is what adoption read in the repository, as hackless.yaml
// records it: the YAML, and comment lines saying where it came from.
type setting struct {
	key  string   // its path in hackless.yaml, for the report: deps.ownVersions
	yaml string   // the setting, indented as in the file; "" records only the comment
	why  []string // where it came from, one line each
	// same reports whether a configuration already holds it.
	same func(*config.Config) bool
}

// settings reads the repository's conventions and policies as they stand
// today, so that the first verify holds the repository to them and to
// nothing else.
func (a *adopter) settings(ws *workspace.Workspace) []setting {
	mk := a.inferMake()
	return []setting{inferDeps(ws), a.inferHeader(), a.inferPlatforms(), a.inferLicenses(), a.inferLint(ws), inferTools(ws), inferUncovered(ws), mk, inferShadow(a.makeTargets)}
}

// shadowOf names the built-in step that could replace a Make target, by
// the names repositories give their targets.
var shadowOf = map[string]string{
	"verify-gofmt": "gofmt", "verify-fmt": "gofmt", "check-fmt": "gofmt", "fmt-check": "gofmt",
	"verify-modules": "tidy", "verify-mod": "tidy", "verify-tidy": "tidy", "gotidy": "tidy", "check-mod": "tidy",
	"verify-boilerplate": "boilerplate", "verify-license-header": "boilerplate", "verify-licenses-header": "boilerplate", "checklicense": "boilerplate",
	"misspell": "spelling", "verify-spelling": "spelling", "verify-misspell": "spelling",
	"verify-gen": "codegen", "verify-generate": "codegen", "verify-codegen": "codegen", "verify-generated": "codegen",
	"lint": "lint", "verify-lint": "lint", "golangci-lint": "lint",
	"vet": "vet", "verify-vet": "vet",
	"verify-shellcheck": "shell", "shellcheck": "shell",
}

// inferShadow proposes the pairs of a built-in step and the Make target
// it could replace: each runs in shadow beside the target until the two
// agree run after run (go tool mage shadow says), and one line switches
// it over.
func inferShadow(targets []string) setting {
	s := setting{key: "shadow", same: func(c *config.Config) bool { return len(c.Shadow) > 0 }}
	var b strings.Builder
	for _, t := range targets {
		if builtin, ok := shadowOf[t]; ok {
			fmt.Fprintf(&b, "  - builtin: %s\n    own: make-%s\n", builtin, t)
		}
	}
	if b.Len() == 0 {
		return s
	}
	s.why = []string{
		"Built-in steps in shadow beside the Make targets they could replace: their",
		"findings fail nothing, and go tool mage shadow says, run after run, whether",
		"the two agree; add switched: true to a pair to let the built-in step take over.",
	}
	s.yaml = b.String()
	return s
}

// uncachedRecipeRE matches recipes whose result depends on what no file
// describes: containers, the network.
var uncachedRecipeRE = regexp.MustCompile(`\b(docker|podman|kind|kubectl|curl|wget|git clone|git fetch|go install [^ ]+@latest)\b`)

// inferMake lists the targets the Makefile's verify target depends on, as
// make itself expands them (make -pRrq prints its database), for day one
// to run the repository's own checks as steps: a target whose recipe
// runs make again, or that only names the others, is none; one that needs
// containers or the network is marked uncached.
func (a *adopter) inferMake() setting {
	s := setting{key: "make.targets", same: func(c *config.Config) bool { return len(c.Make.Targets) > 0 }}
	if _, err := os.Stat(filepath.Join(a.root, "Makefile")); err != nil {
		return s
	}
	cmd := exec.CommandContext(a.ctx, "make", "-pRrq", "verify")
	cmd.Dir = a.root
	out, _ := cmd.Output() // -q exits non-zero when verify would run
	rules := makeDatabase(string(out))
	deps, ok := rules["verify"]
	if !ok || len(deps.prereqs) == 0 {
		s.why = []string{"Make: the Makefile has no verify target with prerequisites; name the targets that check in make.targets to run them as steps."}
		return s
	}
	var b strings.Builder
	b.WriteString("  targets:\n")
	n := 0
	a.makeTargets = nil
	for _, t := range deps.prereqs {
		r := rules[t]
		switch {
		case strings.Contains(r.recipe, "$(MAKE)") || strings.Contains(r.recipe, "${MAKE}") || r.recipe == "" && len(r.prereqs) > 0:
			fmt.Fprintf(&b, "    # %s runs other targets: left out (its targets are steps of their own)\n", t)
			continue
		case uncachedRecipeRE.MatchString(r.recipe):
			fmt.Fprintf(&b, "    - target: %s\n      uncached: true  # its recipe needs containers or the network: judge it\n", t)
		default:
			fmt.Fprintf(&b, "    - target: %s\n", t)
		}
		a.makeTargets = append(a.makeTargets, t)
		n++
	}
	if n == 0 {
		return s
	}
	s.why = []string{
		fmt.Sprintf("Make: make verify depends on these %d targets, the repository's own", n),
		"checks: each runs as a step (make-<target>), in parallel and cached;",
		"update runs the target paired with it by name (update-X, generate).",
	}
	s.yaml = b.String()
	return s
}

// makeRule is a rule of make's database: its prerequisites and recipe.
type makeRule struct {
	prereqs []string
	recipe  string
}

// makeDatabase reads the rules of make -p's output.
func makeDatabase(out string) map[string]makeRule {
	rules := make(map[string]makeRule)
	var cur string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case l == "":
			cur = ""
		case strings.HasPrefix(l, "\t") && cur != "":
			r := rules[cur]
			r.recipe += strings.TrimSpace(l) + "\n"
			rules[cur] = r
		case strings.HasPrefix(l, "#"), strings.HasPrefix(l, "\t"), strings.Contains(l, "="):
		default:
			target, prereqs, ok := strings.Cut(l, ":")
			if !ok || strings.ContainsAny(target, " %$") || strings.HasPrefix(target, ".") {
				continue
			}
			cur = target
			prereqs, _, _ = strings.Cut(prereqs, "|")
			rules[cur] = makeRule{prereqs: strings.Fields(prereqs)}
		}
	}
	return rules
}

// inferLint says which golangci-lint lint runs: the pin of a Makefile or
// workflow, where one is (lint reads it at every run), else hackless's.
func (a *adopter) inferLint(ws *workspace.Workspace) setting {
	s := setting{key: "lint.version", same: func(*config.Config) bool { return true }}
	files, err := ws.AllFiles(a.ctx)
	if err != nil {
		return s
	}
	where, v, _ := steps.GolangciVersionPin(files, func(f string) ([]byte, error) { return os.ReadFile(filepath.Join(a.root, f)) })
	if v != "" {
		s.why = []string{fmt.Sprintf("golangci-lint: %s pins %s; lint runs that version (it reads the pin at every run).", where, v)}
	} else {
		s.why = []string{"golangci-lint: lint runs the version a module pins (a tool directive or tools.go), else hackless's, " + steps.DefaultGolangciLint + "; no Makefile or workflow pins one."}
	}
	return s
}

// inferTools names the tools modules hackless leaves out of the product's
// checks, by the path that marks them.
func inferTools(ws *workspace.Workspace) setting {
	s := setting{key: "workspace.exclude", same: func(*config.Config) bool { return true }}
	dirs, err := ws.ModuleDirs(context.Background())
	if err != nil {
		return s
	}
	var tools []string
	for _, d := range dirs {
		if ws.IsTools(d) && d != config.HacklessModule {
			tools = append(tools, d)
		}
	}
	if len(tools) > 0 {
		s.why = []string{"Tools modules, out of the product's checks (their path, or a hackless:exclude comment, marks them): " + strings.Join(tools, ", ") + "."}
	}
	return s
}

// inferUncovered names the checks the repository configures that no
// built-in step covers: they go to scripts or Make targets of
// hackless.yaml, and verify names them until then.
func inferUncovered(ws *workspace.Workspace) setting {
	s := setting{key: "scripts", same: func(*config.Config) bool { return true }}
	for _, u := range steps.Uncovered(ws, steps.All()) {
		s.why = append(s.why, strings.ToUpper(u[:1])+u[1:]+".")
	}
	return s
}

// inferLicenses says which license policy holds: the repository's own
// policy file, else none, in which case verify:licenses lists what the
// default allowlist would reject without failing (licenses.policy:
// default enforces it).
func (a *adopter) inferLicenses() setting {
	s := setting{key: "licenses.policy", same: func(*config.Config) bool { return true }}
	if _, err := os.Stat(filepath.Join(a.root, "hack", "license-policy.json")); err == nil {
		s.why = []string{"Licenses: hack/license-policy.json is the policy verify:licenses enforces."}
		return s
	}
	s.why = []string{
		"Licenses: the repository has no license policy, so verify:licenses lists",
		"what the default allowlist (CNCF's, with Apache-2.0) would reject, and",
		"fails on none of it; policy: default enforces that allowlist.",
	}
	return s
}

var (
	platformRE = regexp.MustCompile(`\b(aix|android|darwin|dragonfly|freebsd|illumos|ios|js|linux|netbsd|openbsd|plan9|solaris|wasip1|windows)/(386|amd64|arm|arm64|loong64|mips|mipsle|mips64|mips64le|ppc64|ppc64le|riscv64|s390x|wasm)\b`)
	runsOnRE   = regexp.MustCompile(`(?i)\b(ubuntu|windows|macos)-(latest|\d[\w.]*)`)
	makePlatRE = regexp.MustCompile(`(?m)^\s*(?:export\s+)?\w*PLATFORMS\s*[:?!]?=\s*(.*)$`)
)

// inferPlatforms records the platforms the repository builds and tests
// for, as typecheck.platforms (which licenses and bom count as shipping
// too): the GOOS/GOARCH pairs its Makefiles, release configuration
// (goreleaser's builds) and workflows name, and the runners of its CI
// workflows (ubuntu: linux/amd64, macos: darwin/arm64, windows:
// windows/amd64); linux/amd64 alone where none says more, so that no test
// file is held to a platform its tests never run on.
func (a *adopter) inferPlatforms() setting {
	s := setting{key: "typecheck.platforms"}
	out, _ := a.git("ls-files", "--", "Makefile", "*.mk", "**/*.mk", ".goreleaser.yml", ".goreleaser.yaml", ".github/workflows/*")
	found := map[string][]string{} // platform -> where
	add := func(p, where string) {
		if !slices.Contains(found[p], where) {
			found[p] = append(found[p], where)
		}
	}
	for _, f := range strings.Fields(out) {
		data, err := os.ReadFile(filepath.Join(a.root, f))
		if err != nil {
			continue
		}
		text := string(data)
		switch {
		case strings.HasPrefix(f, ".github/workflows/"):
			for _, m := range runsOnRE.FindAllStringSubmatch(text, -1) {
				add(map[string]string{"ubuntu": "linux/amd64", "macos": "darwin/arm64", "windows": "windows/amd64"}[strings.ToLower(m[1])], f+" (runs-on)")
			}
			for _, m := range platformRE.FindAllString(text, -1) {
				add(m, f)
			}
		case strings.HasPrefix(f, ".goreleaser"):
			var doc struct {
				Builds []struct {
					Goos   []string `yaml:"goos"`
					Goarch []string `yaml:"goarch"`
				} `yaml:"builds"`
			}
			if yaml.Unmarshal(data, &doc) != nil {
				continue
			}
			for _, b := range doc.Builds {
				gooses, goarches := b.Goos, b.Goarch
				if len(gooses) == 0 {
					gooses = []string{"linux", "darwin", "windows"} // goreleaser's defaults
				}
				if len(goarches) == 0 {
					goarches = []string{"amd64", "arm64"}
				}
				for _, o := range gooses {
					for _, r := range goarches {
						if platformRE.MatchString(o + "/" + r) {
							add(o+"/"+r, f)
						}
					}
				}
			}
		default: // Makefiles
			for _, m := range makePlatRE.FindAllStringSubmatch(text, -1) {
				for _, p := range platformRE.FindAllString(m[1], -1) {
					add(p, f)
				}
			}
		}
	}
	platforms := slices.Sorted(maps.Keys(found))
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64"}
		s.why = []string{"Platforms: no Makefile, release configuration or CI workflow names one,", "so linux/amd64, where CI runs."}
	} else {
		s.why = []string{"Platforms the repository builds and tests for: typecheck checks each,", "and licenses and bom count what any of them ships:"}
		for _, p := range platforms {
			s.why = append(s.why, "  "+p+": "+strings.Join(found[p], ", "))
		}
	}
	s.same = func(c *config.Config) bool { return slices.Equal(c.Typecheck.Platforms, platforms) }
	s.yaml = "  platforms: [" + strings.Join(platforms, ", ") + "]\n"
	return s
}

// inferHeader records the license header most Go files share as a header
// rule (boilerplate.rules), where the repository has no Kubernetes-style
// templates: the copyright line, years optional, and the SPDX line when
// the header has one; the shared header, yearless, is what update
// inserts.
func (a *adopter) inferHeader() setting {
	s := setting{key: "boilerplate.rules"}
	if dirs, _ := a.git("ls-files", "--", "**/boilerplate.*.txt", "boilerplate.*.txt"); strings.TrimSpace(dirs) != "" {
		first, _, _ := strings.Cut(strings.TrimSpace(dirs), "\n")
		s.why = []string{"License headers: the templates in " + filepath.ToSlash(filepath.Dir(first)) + " are the rule (verify:boilerplate finds them)."}
		s.same = func(*config.Config) bool { return true }
		return s
	}
	block := a.commonHeader()
	if block == "" {
		s.why = []string{"License headers: fewer than half of the Go files share one, so verify:boilerplate has no rule to hold them to."}
		s.same = func(c *config.Config) bool { return len(c.Boilerplate.Rules) == 0 }
		return s
	}
	var rules []config.HeaderRule
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		t := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "/*#"))
		switch {
		case strings.Contains(strings.ToLower(t), "copyright") && len(rules) == 0:
			rules = append(rules, config.HeaderRule{Pattern: yearOptional(t)})
		case strings.HasPrefix(t, "SPDX-License-Identifier:"):
			rules = append(rules, config.HeaderRule{Text: t})
		}
		lines = append(lines, strings.Replace(strings.ReplaceAll(l, "YEAR ", ""), "YEAR", "", -1))
	}
	if len(rules) == 0 {
		s.why = []string{"License headers: the Go files share a leading comment that names no copyright: no rule."}
		s.same = func(c *config.Config) bool { return true }
		return s
	}
	header := strings.Join(lines, "\n") + "\n"
	rules[0].Header = header
	s.why = []string{
		fmt.Sprintf("License headers: %d of %d Go files start with this header (years", a.headerCount, a.headerTotal),
		"aside), and the repository has no templates: verify:boilerplate holds",
		"every Go file to it, and update:boilerplate inserts it, yearless.",
	}
	var b strings.Builder
	b.WriteString("  rules:\n")
	for i, r := range rules {
		if r.Pattern != "" {
			fmt.Fprintf(&b, "    - pattern: %s\n", yamlString(r.Pattern))
		} else {
			fmt.Fprintf(&b, "    - text: %s\n", yamlString(r.Text))
		}
		if i == 0 {
			b.WriteString("      header: |\n")
			for _, l := range lines {
				fmt.Fprintf(&b, "        %s\n", l)
			}
		}
	}
	s.yaml = b.String()
	s.same = func(c *config.Config) bool {
		return len(c.Boilerplate.Rules) == len(rules) && slices.EqualFunc(c.Boilerplate.Rules, rules, func(x, y config.HeaderRule) bool {
			return x.Pattern == y.Pattern && x.Text == y.Text
		})
	}
	return s
}

// yearOptional turns a header line into a regular expression that
// matches it with or without the years after its "Copyright" ("Copyright
// YEAR The Authors." -> Copyright(?:\s+YEARS,?)?\s+The\s+Authors\.).
func yearOptional(line string) string {
	words := strings.Fields(strings.ReplaceAll(line, "YEAR", " "))
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteString(`\s+`)
		}
		b.WriteString(regexp.QuoteMeta(w))
		if strings.EqualFold(w, "copyright") || strings.EqualFold(w, "(c)") {
			b.WriteString(`(?:\s+(?:19|20)\d\d(?:\s*[-,]\s*(?:19|20)\d\d)*,?)?`)
		}
	}
	return b.String()
}

// yamlString quotes s for YAML.
func yamlString(s string) string {
	b, _ := json.Marshal(s) // JSON strings are YAML strings
	return string(b)
}

// inferDeps records the modules that do not hold the one-version and
// sibling-replace rules today as released on their own
// (deps.ownVersions): the rules then hold, as a ratchet, for the modules
// that agree, and a repository whose modules all keep their own minimums
// is held to neither.
func inferDeps(ws *workspace.Workspace) setting {
	var mods []*workspace.Module
	for _, m := range ws.Modules {
		if !ws.IsTools(m.Rel) {
			mods = append(mods, m)
		}
	}
	highest := make(map[string]string) // dependency -> highest version required
	holder := make(map[string]string)  // dependency -> a go.mod requiring it there
	for _, m := range mods {
		for _, r := range m.File.Require {
			if ws.ModuleByPath(r.Mod.Path) == nil && semver.Compare(r.Mod.Version, highest[r.Mod.Path]) > 0 {
				highest[r.Mod.Path], holder[r.Mod.Path] = r.Mod.Version, m.GoModRel()
			}
		}
	}
	reasons := make(map[string]string) // module path -> why it is released on its own
	var own []string
	for _, m := range mods {
		why := ""
		for _, r := range m.File.Require {
			sib := ws.ModuleByPath(r.Mod.Path)
			switch {
			case sib == nil && r.Mod.Version != highest[r.Mod.Path]:
				why = fmt.Sprintf("requires %s %s where %s requires %s", r.Mod.Path, r.Mod.Version, holder[r.Mod.Path], highest[r.Mod.Path])
			case sib != nil && !slices.ContainsFunc(m.File.Replace, func(rep *modfile.Replace) bool { return rep.Old.Path == r.Mod.Path }):
				why = fmt.Sprintf("requires %s %s, a module of this repository, without a replace", r.Mod.Path, r.Mod.Version)
			default:
				continue
			}
			break
		}
		if why != "" {
			own = append(own, m.Path)
			reasons[m.Path] = why
		}
	}
	s := setting{key: "deps.ownVersions", same: func(c *config.Config) bool {
		return slices.Equal(slices.Sorted(slices.Values(c.Deps.OwnVersions)), own)
	}}
	slices.Sort(own)
	if len(own) == 0 {
		s.why = []string{
			fmt.Sprintf("Every module (%d) requires one version of each dependency and its", len(mods)),
			"siblings through replaces: verify:deps holds them all to that.",
		}
		return s
	}
	s.why = []string{
		fmt.Sprintf("Modules released on their own: %d of %d keep their own minimum", len(own), len(mods)),
		"versions or require published versions of their siblings today, so",
		"verify:deps leaves them out of its one-version and sibling-replace",
		"rules (which hold, as a ratchet, for the others), and update:deps",
		"never edits them. What each does:",
	}
	var b strings.Builder
	b.WriteString("  ownVersions:\n")
	for _, p := range own {
		s.why = append(s.why, "  "+p+": "+reasons[p])
		fmt.Fprintf(&b, "    - %s\n", p)
	}
	s.yaml = b.String()
	return s
}

// writeConfig writes hackless.yaml with what adoption inferred, each
// setting under a comment saying where it came from. Where the
// repository has a hackless.yaml already, nothing is written: init says
// which inferred settings differ from it.
func (a *adopter) writeConfig() error {
	ws, err := workspace.Load(a.ctx, a.root, os.Environ())
	if err != nil {
		fmt.Fprintf(a.out, "  %s: not written, the workspace does not load (%v); verify:workspace says what is wrong\n", config.File, oneLine(err.Error()))
		return nil
	}
	defer ws.Close()
	found := slices.DeleteFunc(a.settings(ws), func(s setting) bool { return len(s.why) == 0 && s.yaml == "" })
	name := filepath.Join(a.root, config.File)
	data, err := os.ReadFile(name)
	switch {
	case err == nil:
		cfg, err := config.Parse(data)
		if err != nil {
			return err
		}
		for _, s := range found {
			if s.same != nil && !s.same(cfg) {
				fmt.Fprintf(a.out, "  %s: kept as it is; the repository now suggests for %s:\n%s", config.File, s.key, indent(s))
			}
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	var b strings.Builder
	b.WriteString("# hackless's settings: hackless init wrote what it read in the\n")
	b.WriteString("# repository, each under where it came from. See \"Configuration\" in\n")
	b.WriteString("# hackless's README; hackless init shows what it would change later.\n")
	sections := map[string][]setting{}
	var order []string
	for _, s := range found {
		top, _, _ := strings.Cut(s.key, ".")
		if _, ok := sections[top]; !ok {
			order = append(order, top)
		}
		sections[top] = append(sections[top], s)
	}
	for _, top := range order {
		var body strings.Builder
		for _, s := range sections[top] {
			for _, w := range s.why {
				fmt.Fprintf(&body, "  # %s\n", w)
			}
			body.WriteString(s.yaml)
		}
		if hasValue(sections[top]) {
			fmt.Fprintf(&b, "\n%s:\n%s", top, body.String())
		} else {
			fmt.Fprintf(&b, "\n# %s:\n%s", top, body.String()) // nothing to set: the comment says why
		}
	}
	if _, err := config.Parse([]byte(b.String())); err != nil {
		return fmt.Errorf("writing %s: %w", config.File, err)
	}
	if _, err := atomicfile.Write(name, []byte(b.String()), 0o644); err != nil {
		return err
	}
	var keys []string
	for _, s := range found {
		keys = append(keys, s.key)
	}
	a.changed("%s: written with what the repository holds today (%s)", config.File, strings.Join(keys, ", "))
	for _, s := range found {
		fmt.Fprint(a.out, indent(s))
	}
	return nil
}

func hasValue(ss []setting) bool {
	return slices.ContainsFunc(ss, func(s setting) bool { return s.yaml != "" })
}

// indent shows a setting under init's report line.
func indent(s setting) string {
	var b strings.Builder
	for _, w := range s.why {
		fmt.Fprintf(&b, "      %s\n", w)
	}
	for _, l := range strings.Split(strings.TrimRight(s.yaml, "\n"), "\n") {
		if l != "" {
			fmt.Fprintf(&b, "      %s\n", l)
		}
	}
	return b.String()
}

// oneLine puts the lines of an error on one line.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}
