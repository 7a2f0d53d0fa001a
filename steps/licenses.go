// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/licenses"
)

// LicensePolicyFile is where Licenses looks for its policy unless
// HACKLESS_LICENSE_POLICY names another file. It is JSON:
//
//	{"allowed": ["MPL-2.0"], "allowedFor": {"example.com/font": ["CC-BY-4.0"]},
//	 "overrides": {"example.com/m": "MIT"}}
//
// allowed adds licenses to the default allowlist (CNCF's plus Apache-2.0),
// or replaces it with "replaceDefaults": true; allowedFor allows licenses
// for the named modules only; overrides name the license of modules the
// classifier cannot decide.
const LicensePolicyFile = "hack/license-policy.json"

// Licenses checks the licenses of the dependencies the workspace ships:
// the modules of every package its non-test packages import, directly or
// not (go list -deps) on any platform the repository builds for
// (typecheck.platforms: a Windows-only dependency of a CLI built for
// Windows ships), not the whole module graph, where tool-only modules
// would count. Tools modules ship nothing, so their dependencies are out
// of scope: those marked "// hackless:exclude" in go.work, those under a
// directory named tools (tools/, hack/tools/, internal/tools/), and those
// listed in licenses.exclude or workspace.exclude of hackless.yaml;
// examples (modules under a directory named example or examples) ship
// nothing either. Each module's license file is found as Kubernetes finds it
// and identified with github.com/google/licensecheck (at least 75% of the
// file must be known license text, as on pkg.go.dev); a license that is not
// allowed, or not identified, fails with the module, what was found, and
// the import chain that pulls it in.
//
// When the repository keeps a LICENSES/ directory, it must also hold
// Kubernetes's database: LICENSES/vendor/<module>/LICENSE for each of those
// modules (banner, license text, path and MD5 of the license file) and
// LICENSES/LICENSE for the repository's own license. Update rewrites it. To
// start a database: mkdir LICENSES && go tool mage update:licenses.
var Licenses = &build.Step{
	Name: "licenses",
	Doc:  "shipped dependencies have allowed licenses, recorded in LICENSES/",
	Inputs: build.Inputs{
		Files:   []string{"LICENSE", "LICENSES/**", "vendor/**", LicensePolicyFile},
		Headers: []string{"**/*.go"},
		Env:     []string{"HACKLESS_LICENSE_POLICY"},
		Tools:   []build.Tool{build.GoCommand},
		Go:      true,
	},
	Writes: []string{"LICENSES/vendor/", "LICENSE"},
	Run:    runLicenses,
}

// shipped is a dependency module and how the workspace reaches it.
type shipped struct {
	path, version, dir string
	chain              []*workspace.Package // from a workspace package to the first package of the module
	loadErr            string               // the package at the chain's end could not be loaded
}

func runLicenses(pass *build.Pass) error {
	ws := pass.Workspace
	policy, policyFile, err := loadPolicy(pass)
	if err != nil || policy == nil && policyFile != "" {
		return err
	}
	mods, broken, err := shippedModules(pass)
	if err != nil {
		return reportGoError(pass, "go list -deps", "", err, build.Position{File: "go.work", Line: 1})
	}
	for _, b := range broken {
		// A package that does not load has no module the go command will
		// name: whatever provides it goes unchecked, which must show.
		pos := build.Position{File: "go.work", Line: 1}
		if n := len(b.chain); n >= 2 {
			importer := b.chain[n-2]
			if p, ok := importPosition(pass, importer.Dir, importer.GoFiles, b.path); ok {
				pos = p
			}
		}
		f := build.Finding{
			Pos:     pos,
			Message: fmt.Sprintf("cannot load %s, so the license of the module that provides it is not checked: %s; pulled in by %s", b.path, b.loadErr, chainString(b.chain)),
		}
		for _, h := range goErrorHints {
			if strings.Contains(b.loadErr, h.fragment) {
				f.Detail = "hint: " + h.hint
				break
			}
		}
		pass.Report(f)
	}
	keep := dirExists(pass, "LICENSES")
	var tree string
	if keep {
		tmp, err := os.MkdirTemp(pass.Env.TempDir(), "licenses-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		tree = filepath.Join(tmp, "vendor")
		if err := os.MkdirAll(tree, 0o755); err != nil {
			return err
		}
	}
	count := make(map[string]int)
	identify := classifier(pass)
	// A repository without a policy of its own is told what the default
	// allowlist would reject, and fails on none of it, unless
	// licenses.policy: default asks for it.
	_, errPolicy := pass.ReadFile(policyFile)
	enforced := errPolicy == nil || pass.Config().Licenses.Policy == "default"
	var rejected []string
	defer func() {
		if len(rejected) > 0 {
			pass.Notef("not enforced: the repository has no license policy (%s), and the default allowlist (CNCF's) would reject %d shipped modules: %s; set licenses.policy: default in hackless.yaml to enforce it, or allow them in %s", policyFile, len(rejected), strings.Join(rejected, "; "), policyFile)
		}
	}()
	for _, m := range mods {
		var f *licenses.File
		if m.dir != "" {
			if f, err = licenses.Find(m.dir); err != nil {
				return err
			}
		}
		var ids []string
		found := "no license file"
		switch {
		case m.dir == "":
			found = "no module directory (run go tool mage deps:download)"
		case f != nil:
			var cov float64
			ids, cov = identify.Identify(f.Data)
			found = strings.Join(ids, " AND ")
			if ids == nil {
				found = fmt.Sprintf("an unidentified license (%s: %.0f%% known license text)", f.Name, cov)
			}
		}
		if o := policy.Overrides[m.path]; o != "" {
			ids, found = []string{o}, o+" (override)"
		}
		for _, id := range ids {
			count[id]++
		}
		if !policy.Allows(m.path, ids) {
			if !enforced {
				rejected = append(rejected, fmt.Sprintf("%s %s: %s", m.path, m.describeVersion(ws), found))
			} else {
				pass.Report(build.Finding{
					Pos: chainPosition(ws, m),
					Message: fmt.Sprintf("%s %s: %s is not allowed; drop the dependency, or allow it in %s (\"allowed\", or \"overrides\" for a license the classifier cannot decide); pulled in by %s",
						m.path, m.describeVersion(ws), found, policyFile, chainString(m.chain)),
				})
			}
		}
		if keep && f != nil {
			dst := filepath.Join(tree, filepath.FromSlash(m.path), "LICENSE")
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, licenses.Entry(m.path, f), 0o644); err != nil {
				return err
			}
		}
	}
	var summary []string
	for _, id := range slices.Sorted(maps.Keys(count)) {
		summary = append(summary, fmt.Sprintf("%s %d", id, count[id]))
	}
	if len(mods) == 0 {
		pass.Notef("no shipped dependency modules")
	} else {
		pass.Notef("%d shipped dependency modules: %s", len(mods), strings.Join(summary, ", "))
	}
	if !keep {
		pass.Notef("no LICENSES/ directory, so no database is kept (to start one: mkdir LICENSES && go tool mage update:licenses)")
		return nil
	}
	if data, err := pass.ReadFile("LICENSE"); err == nil {
		if err := pass.Propose("LICENSES/LICENSE", licenses.RootEntry(ws.Modules[0].Path, data), "LICENSES/LICENSE does not hold the repository's LICENSE"); err != nil {
			return err
		}
	}
	return pass.ProposeTree("LICENSES/vendor", tree, "LICENSES/vendor is stale")
}

// classifier identifies license texts and remembers them in licenses/ of
// the machine's cache directory (see cacheSubdir), so that a run whose
// texts were all seen before does not build licensecheck's matcher, two
// CPU-seconds. A cache directory inside the workspace remembers nothing:
// a run writes nothing to the tree.
func classifier(pass *build.Pass) *licenses.Classifier {
	dir, err := cacheSubdir("licenses")
	if err != nil {
		return licenses.NewClassifier("")
	}
	if rel, err := filepath.Rel(pass.Workspace.Root, dir); err == nil && filepath.IsLocal(rel) {
		return licenses.NewClassifier("")
	}
	return licenses.NewClassifier(dir)
}

// loadPolicy reads the policy file; a malformed one is a finding, and a
// missing default one means the default policy.
func loadPolicy(pass *build.Pass) (*licenses.Policy, string, error) {
	name := pass.Getenv("HACKLESS_LICENSE_POLICY")
	explicit := name != ""
	if !explicit {
		name = LicensePolicyFile
	}
	data, err := pass.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return &licenses.Policy{}, name, nil
	}
	if err != nil {
		return nil, name, &build.UsageError{Err: fmt.Errorf("HACKLESS_LICENSE_POLICY: %w", err)}
	}
	p, err := licenses.ParsePolicy(name, data)
	if err != nil {
		reportConfigError(pass, name, err)
		return nil, name, nil
	}
	return p, name, nil
}

// shippedModules finds the dependency modules of the workspace's package
// closure, each with the shortest import chain that reaches it.
func shippedModules(pass *build.Pass) (mods, broken []*shipped, err error) {
	ws := pass.Workspace
	pkgs, err := ws.DepsOn(pass.Context(), shipPlatforms(pass))
	if err != nil {
		return nil, nil, err
	}
	byPath := make(map[string]*workspace.Package, len(pkgs))
	var queue []*workspace.Package
	parent := make(map[*workspace.Package]*workspace.Package)
	seen := make(map[*workspace.Package]bool)
	cfg := pass.Config()
	ships := func(m *workspace.PackageModule) bool {
		rel := ws.Rel(m.Dir)
		return !ws.IsTools(rel) && !slices.Contains(cfg.Licenses.Exclude, rel) && !isExample(rel)
	}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
		if p.Module != nil && p.Module.Main && ships(p.Module) {
			queue = append(queue, p)
			seen[p] = true
		}
	}
	byModule := make(map[string]*shipped)
	chain := func(p *workspace.Package) (c []*workspace.Package) {
		for q := p; q != nil; q = parent[q] {
			c = append([]*workspace.Package{q}, c...)
		}
		return c
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p.Error != nil && (p.Module == nil || !p.Module.Main) {
			msg := strings.Join(strings.Fields(p.Error.Err), " ")
			broken = append(broken, &shipped{path: p.ImportPath, chain: chain(p), loadErr: msg})
		}
		if p.Module != nil && !p.Module.Main && byModule[p.Module.Path] == nil {
			s := &shipped{path: p.Module.Path, version: p.Module.Version, dir: p.Module.Dir}
			if p.Module.Replace != nil {
				s.version, s.dir = p.Module.Replace.Version, p.Module.Replace.Dir
			}
			if s.dir == "" && dirExists(pass, "vendor/"+s.path) {
				s.dir = ws.Abs("vendor/" + s.path)
			}
			s.chain = chain(p)
			byModule[s.path] = s
		}
		for _, imp := range p.Imports {
			if q := byPath[imp]; q != nil && !seen[q] {
				seen[q], parent[q] = true, p
				queue = append(queue, q)
			}
		}
	}
	if ws.Synthetic && len(broken) > 0 {
		// The repository has no go.work: hackless's view of the workspace
		// joins build lists that are never built together, and a package
		// may not load in it (an ambiguous import) while it does in its
		// own module. What ships is what each module builds.
		importers := make(map[string][]*workspace.Package)
		for _, p := range pkgs {
			for _, imp := range p.Imports {
				importers[imp] = append(importers[imp], p)
			}
		}
		resolved := 0
		broken = slices.DeleteFunc(broken, func(b *shipped) bool {
			ok := true
			for _, dir := range reachingModules(b.path, importers, ships) {
				ok = resolveAlone(pass, b, dir, byModule) && ok
			}
			if ok {
				resolved++
			}
			return ok
		})
		if resolved > 0 {
			pass.Notef("%d packages that do not load in hackless's view of the workspace (the repository has no go.work) were followed with the build list of the module that imports them", resolved)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(byModule)) {
		mods = append(mods, byModule[k])
	}
	return mods, broken, nil
}

// reachingModules returns the directories of the shipping workspace
// modules whose packages import pkg, directly or not.
func reachingModules(pkg string, importers map[string][]*workspace.Package, ships func(*workspace.PackageModule) bool) []string {
	seen := map[string]bool{pkg: true}
	queue := []string{pkg}
	dirs := make(map[string]bool)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range importers[p] {
			if q.Module != nil && q.Module.Main && ships(q.Module) {
				dirs[q.Module.Dir] = true
			}
			if !seen[q.ImportPath] {
				seen[q.ImportPath] = true
				queue = append(queue, q.ImportPath)
			}
		}
	}
	return slices.Sorted(maps.Keys(dirs))
}

// resolveAlone lists a package that did not load in the workspace, with
// its dependencies, in a workspace module (dir, absolute) that imports it,
// with that module's own build list (GOWORK=off), and adds the dependency
// modules found to mods. It reports whether every package then loaded.
func resolveAlone(pass *build.Pass, b *shipped, dir string, mods map[string]*shipped) bool {
	cmd := pass.Command(dir, "go", "list", "-e", "-deps", "-json=ImportPath,Module,Error,Standard", b.path)
	cmd.Env = append(cmd.Env, "GOWORK=off")
	out, err := pass.Output(cmd)
	if err != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var found []*shipped
	for {
		var p workspace.Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil || p.Error != nil {
			return false
		}
		if p.Standard || p.Module == nil || p.Module.Main {
			continue
		}
		s := &shipped{path: p.Module.Path, version: p.Module.Version, dir: p.Module.Dir, chain: append(slices.Clone(b.chain[:len(b.chain)-1]), &p)}
		if p.Module.Replace != nil {
			s.version, s.dir = p.Module.Replace.Version, p.Module.Replace.Dir
		}
		found = append(found, s)
	}
	for _, s := range found {
		if mods[s.path] == nil {
			mods[s.path] = s
		}
	}
	return true
}

func chainString(chain []*workspace.Package) string {
	var s []string
	for _, p := range chain {
		s = append(s, p.ImportPath)
	}
	return strings.Join(s, " -> ")
}

// chainPosition points at the requirement, in the go.mod of the workspace
// module where the chain starts, of the first dependency module on it.
func chainPosition(ws *workspace.Workspace, s *shipped) build.Position {
	if len(s.chain) < 2 || s.chain[0].Module == nil {
		return build.Position{}
	}
	m := ws.ModuleByPath(s.chain[0].Module.Path)
	if m == nil {
		return build.Position{}
	}
	first := s.path
	for _, p := range s.chain {
		if p.Module != nil && !p.Module.Main {
			first = p.Module.Path
			break
		}
	}
	for _, r := range m.File.Require {
		if r.Mod.Path == first {
			return build.Position{File: m.GoModRel(), Line: lineOf(r.Syntax)}
		}
	}
	return build.Position{File: m.GoModRel()}
}

// describeVersion names the version of a shipped module, or the directory
// a replace points it to.
func (s *shipped) describeVersion(ws *workspace.Workspace) string {
	if s.version == "" && s.dir != "" {
		return "(replaced by " + ws.Rel(s.dir) + ")"
	}
	return s.version
}

func dirExists(pass *build.Pass, name string) bool {
	fi, err := pass.Stat(name)
	return err == nil && fi.IsDir()
}

// isExample reports whether a module directory holds examples, which ship
// nothing: a directory named example or examples (or _examples) on its
// path.
func isExample(rel string) bool {
	return slices.ContainsFunc(strings.Split(rel, "/"), func(d string) bool {
		return d == "example" || d == "examples" || d == "_examples"
	})
}
