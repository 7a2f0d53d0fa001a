// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"github.com/hackless/hackless/build/config"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/hermetic"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/launch"
)

// keyer computes the cache keys of one run: it lists and hashes the
// workspace's files once, and asks for tool versions once. Passes are
// stored only at the end of the run, after every input is checked again
// (see commit).
type keyer struct {
	ws     *workspace.Workspace
	cache  *cache.Cache
	hasher *cache.Hasher
	remote *cache.Remote // nil without a remote cache

	self string // the hash of the running executable

	mu       sync.Mutex
	files    []string
	modDirs  []string
	owners   map[string]string // file -> module directory, "" outside every module
	index    *workspace.Owners // the module directories, for paths not listed
	matches  map[string]map[string]*group
	hashes   map[string]string // per file, once per run
	headers  map[string]string // per Go file header, once per run
	versions map[string]*versionOnce
	pending  []pendingStore
	warnings []string                   // problems of the cache itself, shown once per run
	closures map[string]map[string]bool // per module: the package directories it imports
	narrowed map[string]*group          // per module and owner: the owner's Go files of those packages

	goOnce sync.Once
	goIn   goInputs

	indexOnce     sync.Once
	byExt, byBase map[string][]string // the listed files by extension and by name (candidates)

	readNow map[string]string // what each recorded read finds, once per run (stillHolds)

	pkgOnce sync.Once
	pkgs    pkgIndex              // the packages, for ScopePackage
	shared  map[*Step]*sharedPart // per ScopePackage step: what every package's key holds

	ignoredOnce sync.Once
	ignored     []string // git-ignored files that files lacks (ignoredFiles)
	ignoredErr  error
}

// goInputs are what the go command reads beyond the files a step
// declares, derived once per run.
type goInputs struct {
	embedded map[string]*group          // per module directory: the trees of packages that use //go:embed
	embeds   map[string][]string        // per package directory that uses //go:embed: the files of its tree
	replaced *group                     // the directories that local replace directives point to
	linked   *group                     // the directories that symlinks of the tree point to
	imports  map[string]map[string]bool // module directory -> workspace module directories it imports
	// pkgs maps a package directory to the workspace package directories
	// its non-test files import, and tests to those its _test.go files
	// import; unread is set when a Go file's imports could not be read.
	pkgs, tests map[string]map[string]bool
	unread      bool
	err         error
}

// goBuildGlobs are the base names of the files the go command compiles or
// links from a package directory.
var goBuildGlobs = []string{"*.go", "*.c", "*.h", "*.s", "*.S", "*.cc", "*.cpp", "*.cxx", "*.hh", "*.hpp", "*.hxx", "*.m", "*.syso", "*.f", "*.F", "*.for", "*.f90", "*.swig", "*.swigcxx"}

// goOtherBuildFiles matches the cgo, assembly and object files among
// goBuildGlobs, in one pass over the files.
const goOtherBuildFiles = "**/*.{c,h,s,S,cc,cpp,cxx,hh,hpp,hxx,m,syso,f,F,for,f90,swig,swigcxx}"

func newKeyer(ctx context.Context, ws *workspace.Workspace, c *cache.Cache, steps []*Step) (*keyer, error) {
	k := &keyer{ws: ws, cache: c, hasher: c.Hasher(ws.Root), matches: map[string]map[string]*group{}, hashes: map[string]string{}, headers: map[string]string{}, versions: map[string]*versionOnce{}}
	// hackless itself: the running executable (the magefile, with its own
	// steps, compiled with hackless).
	var err error
	if k.self, err = selfID(ws.Root); err != nil {
		return nil, err
	}
	// Ask for the tools' versions while the files are listed and stat'ed.
	for _, s := range steps {
		for _, t := range s.Inputs.Tools {
			go k.version(ctx, t)
		}
	}
	if k.files, err = k.list(ctx, false); err != nil {
		return nil, err
	}
	if k.modDirs, err = ws.ModuleDirs(ctx); err != nil {
		return nil, err
	}
	k.owners = make(map[string]string, len(k.files))
	k.index = workspace.NewOwners(k.modDirs)
	for _, f := range k.files {
		k.owners[f] = k.index.Of(f)
	}
	k.prefetch()
	return k, nil
}

// list returns every file a step or the go command may read: those git
// tracks or does not ignore, and the ignored ones the go command would
// compile all the same.
//
// The listing is the workspace's (AllFiles, which the steps share), or
// taken anew when fresh is set.
func (k *keyer) list(ctx context.Context, fresh bool) ([]string, error) {
	var ignored []string
	var ignoredErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		ignored, ignoredErr = k.ws.IgnoredFiles(ctx, goBuildGlobs)
	}()
	listFiles := k.ws.AllFiles
	if fresh {
		listFiles = k.ws.ListFiles
	}
	files, err := listFiles(ctx)
	<-done
	if err != nil {
		return nil, err
	}
	if err := ignoredErr; err != nil {
		return nil, err
	}
	files = append(slices.Clone(files), ignored...)
	slices.Sort(files)
	return slices.Compact(files), nil
}

// ignoredFiles lists, once per run, the files git ignores that k.files
// lacks (those a scratch copy of the tree holds besides), outside
// _output/.
func (k *keyer) ignoredFiles(ctx context.Context) ([]string, error) {
	k.ignoredOnce.Do(func() {
		all, err := k.ws.IgnoredFiles(ctx, nil)
		if err != nil {
			k.ignoredErr = err
			return
		}
		for _, f := range all {
			if _, found := slices.BinarySearch(k.files, f); !found {
				k.ignored = append(k.ignored, f)
			}
		}
	})
	return k.ignored, k.ignoredErr
}

// magefileID identifies a compiled magefile (Mage and the launcher build
// the magefiles' files as command-line-arguments) by what it was built
// from, whichever way it was built (-trimpath or not, any path): the Go
// version and platform, its module and every dependency's version and
// checksum (its build information), and the content of the magefiles, of
// the go.mod, go.sum, go.work and go.work.sum they build with, and of the
// in-tree packages they import (launch.Key of the repository at root).
// Mage's MAGEFILE_HASHFAST runs a binary its sources may have moved past,
// so it falls back to the build ID.
func magefileID(root string) (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Path != "command-line-arguments" || os.Getenv("MAGEFILE_HASHFAST") != "" {
		return "", false
	}
	sources, err := launch.Key(root)
	if err != nil {
		return "", false
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s %s\n", bi.GoVersion, runtime.GOOS, runtime.GOARCH, bi.Main.Path)
	for _, d := range bi.Deps {
		fmt.Fprintf(h, "%s %s %s\n", d.Path, d.Version, d.Sum)
		if r := d.Replace; r != nil {
			fmt.Fprintf(h, "=> %s %s %s\n", r.Path, r.Version, r.Sum)
		}
	}
	fmt.Fprintf(h, "sources %s\n", sources)
	return "magefile:" + hex.EncodeToString(h.Sum(nil)[:16]), true
}

// prefetch checks every file's stat record in parallel: stat calls wait
// on the file system, not on the CPU.
func (k *keyer) prefetch() {
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(k.files); i += workers {
				k.hasher.Hash(k.ws.Abs(k.files[i]))
			}
		}()
	}
	wg.Wait()
}

// selfID identifies what decides the steps' behaviour: for a compiled
// magefile, what it was built from (magefileID), so that go tool mage,
// the launcher, a separately installed mage and any clone share passes;
// for any other program (a test binary), the Go build ID the linker puts
// near its start, which is derived from the content of everything it was
// built from; without one, the hash of the whole file. (Mage relinks the
// magefile on every run, so neither a stat nor a path would do.)
func selfID(root string) (string, error) {
	if id, ok := magefileID(root); ok {
		return id, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	const marker = "\xff Go build ID: \""
	if i := bytes.Index(head[:n], []byte(marker)); i >= 0 {
		rest := head[i+len(marker) : n]
		if j := bytes.IndexByte(rest, '"'); j > 0 {
			return "buildid:" + string(rest[:j]), nil
		}
	}
	// ELF keeps it in a note: namesz 4, descsz, type 4, "Go\0\0", the ID.
	for off := 0; ; {
		i := bytes.Index(head[off:n], []byte("Go\x00\x00"))
		if i < 0 {
			break
		}
		i += off
		off = i + 4
		if i < 12 || binary.LittleEndian.Uint32(head[i-12:]) != 4 || binary.LittleEndian.Uint32(head[i-4:]) != 4 {
			continue
		}
		size := int(binary.LittleEndian.Uint32(head[i-8:]))
		if size > 0 && i+4+size <= n {
			return "buildid:" + string(head[i+4:i+4+size]), nil
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}

// save records file stats for the next run, forgetting deleted files.
// warn records a problem of the cache for the run's warnings, once.
func (k *keyer) warn(msg string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !slices.Contains(k.warnings, msg) {
		k.warnings = append(k.warnings, msg)
	}
}

// close ends the run's use of the remote cache.
func (k *keyer) close() {
	if k.remote != nil {
		k.remote.Close()
	}
}

func (k *keyer) save() error {
	keep := make(map[string]bool, len(k.files))
	for _, f := range k.files {
		keep[k.ws.Abs(f)] = true
	}
	k.hasher.Forget(func(p string) bool { return keep[p] })
	return k.hasher.Save()
}

// group is the files one pattern matches in one module (or outside every
// module, for ""), in order, with a digest of their names and contents.
type group struct {
	files  []string
	digest string
}

// groups returns the files a pattern matches, grouped by module, each group
// hashed once per run.
func (k *keyer) groups(pattern string, header bool) (map[string]*group, error) {
	id := pattern
	if header {
		id = "header:" + pattern
	}
	k.mu.Lock()
	g, ok := k.matches[id]
	k.mu.Unlock()
	if ok {
		return g, nil
	}
	g = make(map[string]*group)
	match := compileGlob(pattern)
	for _, f := range k.candidates(pattern) {
		if match(f) {
			o := k.owners[f]
			if g[o] == nil {
				g[o] = &group{}
			}
			g[o].files = append(g[o].files, f)
		}
	}
	for _, gr := range g {
		gr.digest = k.digest(gr.files, header)
	}
	k.mu.Lock()
	k.matches[id] = g
	k.mu.Unlock()
	return g, nil
}

// candidates returns the listed files a pattern may match: for the usual
// **/*.ext and **/name, those with that extension or name, from an index
// built once per run; for dir/… those under dir; else all of them. Either
// way in the listing's order.
func (k *keyer) candidates(pattern string) []string {
	rest, ok := strings.CutPrefix(pattern, "**/")
	if !ok {
		// The files under the pattern's literal leading directories, a
		// range of the sorted listing.
		dir := ""
		for seg := range strings.SplitSeq(pattern, "/") {
			if strings.ContainsAny(seg, "*?[{\\") {
				break
			}
			dir += seg + "/"
		}
		if dir == "" || !strings.ContainsAny(pattern, "*?[{\\") {
			return k.files // a file at the root, or one named in full
		}
		from, _ := slices.BinarySearch(k.files, dir)
		to := from
		for to < len(k.files) && strings.HasPrefix(k.files[to], dir) {
			to++
		}
		return k.files[from:to]
	}
	if strings.ContainsAny(rest, "/?[{\\") {
		return k.files
	}
	k.indexOnce.Do(func() {
		k.byExt, k.byBase = make(map[string][]string), make(map[string][]string)
		for _, f := range k.files {
			base := path.Base(f)
			k.byBase[base] = append(k.byBase[base], f)
			if ext := path.Ext(base); ext != "" {
				k.byExt[ext] = append(k.byExt[ext], f)
			}
		}
	})
	switch ext, star := strings.CutPrefix(rest, "*"); {
	case !star && !strings.Contains(rest, "*"):
		return k.byBase[rest]
	case star && strings.HasPrefix(ext, ".") && !strings.ContainsAny(ext[1:], ".*"):
		return k.byExt[ext]
	}
	return k.files
}

// digest hashes the names and contents (or Go headers) of files.
func (k *keyer) digest(files []string, header bool) string {
	h := sha256.New()
	var line []byte
	for _, f := range files {
		fh, err := k.hash(f, header)
		if err != nil {
			fh = "absent" // deleted since listed
		}
		line = append(append(append(append(line[:0], f...), '='), fh...), '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// hash returns the hash of a root-relative file, or of its Go header,
// once per run.
func (k *keyer) hash(rel string, header bool) (string, error) {
	memo := k.hashes
	if header {
		memo = k.headers
	}
	k.mu.Lock()
	h, ok := memo[rel]
	k.mu.Unlock()
	if ok {
		return h, nil
	}
	hashOf := k.hasher.Hash
	if header {
		hashOf = k.hasher.HashHeader
	}
	sum, err := hashOf(k.ws.Abs(rel))
	if err != nil {
		return "", err
	}
	h = hex.EncodeToString(sum[:12])
	k.mu.Lock()
	memo[rel] = h
	k.mu.Unlock()
	return h, nil
}

// version returns a tool's version as the tool declares it is known,
// asked once per run.
func (k *keyer) version(ctx context.Context, tool Tool) string {
	id := tool.Name + "\x00" + strings.Join(tool.Version, "\x00")
	k.mu.Lock()
	once, ok := k.versions[id]
	if !ok {
		once = &versionOnce{}
		k.versions[id] = once
	}
	k.mu.Unlock()
	once.Do(func() { once.v = k.askVersion(ctx, tool) })
	return once.v
}

type versionOnce struct {
	sync.Once
	v string
}

// askVersion runs the tool's version command, or hashes its executable.
// A tool that cannot be asked keys as "unknown: <why>", which differs
// from every version it may report later.
func (k *keyer) askVersion(ctx context.Context, tool Tool) string {
	if tool.Version == nil {
		exe, err := k.ws.Env.LookPath(tool.Name)
		if err != nil {
			return "unknown: " + err.Error()
		}
		sum, err := k.hasher.Hash(exe)
		if err != nil {
			return "unknown: " + err.Error()
		}
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	cmd := k.ws.Env.Command(ctx, k.ws.Root, tool.Name, tool.Version...)
	cmd.Env = append(cmd.Env, "GOWORK=off")
	out, err := cmd.Output()
	v := strings.TrimSpace(string(out))
	if err != nil {
		v = "unknown: " + err.Error()
	}
	return v
}

// smallGroup is the most files a group may have to enter a manifest file
// by file, so that a miss names the file that changed.
const smallGroup = 8

// shared reports whether the files a pattern names are read for every
// module: a pattern that does not start with "**/" names configuration
// (hack/spelling-exceptions.txt), and go.work, go.mod and go.sum files
// shape every module's build list in a workspace.
func shared(pattern string) bool {
	switch path.Base(pattern) {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	return !strings.HasPrefix(pattern, "**/")
}

// patterns returns the file and header patterns of a step: those it
// declares, and for a step that runs the go command on the workspace's
// packages, every file the go command reads there.
func patterns(s *Step) (files, headers []string) {
	// Every step reads the repository's configuration (Pass.Config).
	files, headers = append(slices.Clone(s.Inputs.Files), config.File), s.Inputs.Headers
	if !s.Inputs.Go {
		return files, headers
	}
	files = append(files, "go.work", "go.work.sum", "**/go.mod", "**/go.sum", goOtherBuildFiles)
	if !slices.Contains(headers, "**/*.go") {
		// (otherwise the step depends on what Go files import, not on
		// their code)
		files = append(files, "**/*.go")
	}
	slices.Sort(files)
	return slices.Compact(files), headers
}

// baseManifest is what every share of a step depends on besides files:
// hackless itself (the running executable), the step, the hermetic
// settings and the step's environment, and its tools' versions.
func (k *keyer) baseManifest(ctx context.Context, s *Step) (cache.Manifest, error) {
	m := cache.Manifest{"step": s.Name, "hackless": k.self}
	for _, kv := range k.ws.Env.Vars() {
		name, val, _ := strings.Cut(kv, "=")
		switch {
		case name == "GOCACHE", name == "GOMODCACHE", name == "GOCACHEPROG":
			continue // where caches are, not what a step sees: a module's content is fixed by its go.sum line
		case slices.Contains(hermetic.Resources, name):
			continue // how much CPU and memory, not what is computed
		case name == "GOWORK":
			// The run's private copy of go.work stands for the tree's,
			// whose content keys the steps that read it: the same name
			// in every clone and every run.
			val = k.portable(k.ws.WorkFile)
		}
		if strings.HasPrefix(name, "GO") || strings.HasPrefix(name, "CGO_") || name == "LC_ALL" || name == "TZ" || slices.Contains(s.Inputs.Env, name) {
			m["env:"+name] = val
		}
	}
	for _, t := range s.Inputs.Tools {
		v := k.version(ctx, t)
		if strings.HasPrefix(v, "unknown: ") {
			return nil, fmt.Errorf("the version of %s: %s", t.Name, strings.TrimPrefix(v, "unknown: "))
		}
		m["tool:"+t.Name] = v
	}
	return m, nil
}

// addGroup enters a group of files into a manifest, under label by its
// digest when it is large, else file by file (kind:name), so that a miss
// names the file that changed; it returns read with the group's files.
func (k *keyer) addGroup(m cache.Manifest, read []string, label string, g *group, kind string, header bool) []string {
	if g == nil || len(g.files) == 0 {
		return read
	}
	read = append(read, g.files...)
	if len(g.files) > smallGroup {
		m[label] = g.digest
		return read
	}
	for _, f := range g.files {
		h, err := k.hash(f, header)
		if err != nil {
			h = "absent"
		}
		m[kind+":"+f] = h
	}
	return read
}

// manifest lists everything a step's result depends on: hackless itself
// (the running executable), the step, the hermetic settings and the
// step's environment, its tools' versions and the contents of its input
// files; for the share of one module (mod not nil), its name and only the
// per-module files of scope (the modules whose files that share reads),
// with the shared ones. A large group of files (a module's Go files)
// enters by its digest, a small one file by file. It also returns every
// file that entered, for the check after the run.
func (k *keyer) manifest(ctx context.Context, s *Step, mod *workspace.Module, scope []*workspace.Module) (cache.Manifest, []string, error) {
	m, err := k.baseManifest(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	if mod != nil {
		m["module"] = mod.Rel
	}
	all := append([]string{""}, k.modDirs...)
	owners := all
	if mod != nil {
		owners = []string{""} // files outside every module count for every module
		for _, sm := range scope {
			owners = append(owners, sm.Rel)
		}
	}
	var read []string
	add := func(label string, g *group, kind string, header bool) {
		read = k.addGroup(m, read, label, g, kind, header)
	}
	// For a step that type-checks a module (vet, typecheck), another
	// module's Go code counts only in the packages the module imports,
	// directly or not: an edit elsewhere in that module changes nothing
	// the go command compiles for this one.
	var closure map[string]bool
	narrowGo := false
	files, headers := patterns(s)
	if mod != nil && s.Scope == ScopeModuleDeps && s.Inputs.Go && slices.Contains(files, "**/*.go") {
		closure, narrowGo = k.closure(ctx, mod) // (a step keyed on headers needs none)
	}
	for _, in := range []struct {
		patterns []string
		header   bool
		kind     string
	}{{files, false, "file"}, {headers, true, "header"}} {
		for _, pat := range in.patterns {
			groups, err := k.groups(pat, in.header)
			if err != nil {
				return nil, nil, err
			}
			of := owners
			if shared(pat) {
				of = all
			}
			for _, o := range of {
				where := o
				if where == "" {
					where = "outside the modules"
				}
				if narrowGo && !in.header && pat == "**/*.go" && o != "" && o != mod.Rel {
					add("files **/*.go imported from "+mod.Rel+" in "+o, k.narrow(groups[o], o, mod, closure), in.kind, false)
					continue
				}
				add(in.kind+"s "+pat+" in "+where, groups[o], in.kind, in.header)
			}
		}
	}
	if s.Inputs.Ignored {
		ig, err := k.ignoredFiles(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, pat := range s.Inputs.Files {
			var g group
			for _, f := range ig {
				if matchGlob(pat, f) {
					g.files = append(g.files, f)
				}
			}
			g.digest = k.digest(g.files, false)
			add("ignored files "+pat, &g, "ignored", false)
		}
	}
	if s.Inputs.Go {
		gi := k.goInputs(ctx)
		if gi.err != nil {
			return nil, nil, gi.err
		}
		add("replaced directories", gi.replaced, "replaced", false)
		add("symlinked directories", gi.linked, "linked", false)
		for _, o := range owners {
			add("embedded files in "+o, gi.embedded[o], "embedded", false)
		}
	}
	return m, read, nil
}

// goInputs derives, once per run, what the go command reads besides the
// declared patterns: the files of every directory a local replace
// directive (in go.work or any module's go.mod, all of which apply in a
// workspace) points to, inside the tree or outside it; the whole tree of
// each package directory that embeds files (an embedded file may be of
// any name, and ignored by git); and which workspace modules each module's
// Go files import.
func (k *keyer) goInputs(ctx context.Context) *goInputs {
	k.goOnce.Do(func() {
		gi := &k.goIn
		var dirs []string
		addReplaces := func(base string, reps []*modfile.Replace) {
			for _, r := range reps {
				if d, ok := workspace.ReplaceDir(base, r); ok {
					dirs = append(dirs, d)
				}
			}
		}
		if k.ws.Work != nil {
			addReplaces(k.ws.Root, k.ws.Work.Replace)
		}
		for _, m := range k.ws.Modules {
			if m.File != nil {
				addReplaces(m.Dir, m.File.Replace)
			}
		}
		// A replace that points at a workspace module names that module,
		// whose files enter the shares that require or import it.
		dirs = slices.DeleteFunc(dirs, func(d string) bool {
			return slices.ContainsFunc(k.ws.Modules, func(m *workspace.Module) bool { return m.Dir == d })
		})
		slices.Sort(dirs)
		var replaced []string
		for _, d := range slices.Compact(dirs) {
			fs, err := k.walk(d, true)
			if err != nil {
				gi.err = fmt.Errorf("replaced directory %s: %w", d, err)
				return
			}
			replaced = append(replaced, fs...)
		}
		gi.replaced = &group{files: replaced, digest: k.digest(replaced, false)}

		// A symlink of the tree to a directory is a package directory the
		// go command follows (git lists the link, not what it holds).
		var linked []string
		for _, f := range k.files {
			abs := k.ws.Abs(f)
			if link, known := k.hasher.Symlink(abs); known && !link {
				continue // (prefetch hashed every listed file)
			}
			if fi, err := os.Lstat(abs); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				continue
			}
			target, err := filepath.EvalSymlinks(abs)
			if err != nil {
				continue // dangling: the go command fails, and a failure is never stored
			}
			if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
				continue // a symlinked file is hashed through the link
			}
			fs, err := k.walk(target, true)
			if err != nil {
				gi.err = fmt.Errorf("symlinked directory %s: %w", f, err)
				return
			}
			linked = append(linked, fs...)
		}
		slices.Sort(linked)
		linked = slices.Compact(linked)
		gi.linked = &group{files: linked, digest: k.digest(linked, false)}

		gi.embedded = make(map[string]*group)
		gi.embeds = make(map[string][]string)
		gi.imports = make(map[string]map[string]bool)
		embedDirs := make(map[string]bool)
		byPath := make(map[string]string, len(k.ws.Modules))
		for _, m := range k.ws.Modules {
			byPath[m.Path] = m.Rel
		}
		gi.pkgs, gi.tests = make(map[string]map[string]bool), make(map[string]map[string]bool)
		for _, f := range k.files {
			if !strings.HasSuffix(f, ".go") {
				continue
			}
			imports, embeds, err := k.hasher.GoInfo(k.ws.Abs(f))
			if err != nil {
				gi.unread = true
				continue // deleted since listed, or unreadable
			}
			if embeds {
				embedDirs[path.Dir(f)] = true
			}
			o := k.owners[f]
			pkgImports := gi.pkgs
			if strings.HasSuffix(f, "_test.go") {
				pkgImports = gi.tests
			}
			dir := path.Dir(f)
			if pkgImports[dir] == nil {
				pkgImports[dir] = make(map[string]bool)
			}
			for _, imp := range imports {
				for p := imp; p != "." && p != "/"; p = path.Dir(p) {
					if dep, ok := byPath[p]; ok {
						if gi.imports[o] == nil {
							gi.imports[o] = make(map[string]bool)
						}
						gi.imports[o][dep] = true
						pkgImports[dir][path.Join(dep, strings.TrimPrefix(imp, p))] = true
						break
					}
				}
			}
		}
		for _, d := range slices.Sorted(maps.Keys(embedDirs)) {
			fs, err := k.walk(k.ws.Abs(d), false)
			if err != nil {
				gi.err = fmt.Errorf("embedding package %s: %w", d, err)
				return
			}
			gi.embeds[d] = fs
			o := k.index.Of(path.Join(d, "x"))
			if gi.embedded[o] == nil {
				gi.embedded[o] = &group{}
			}
			gi.embedded[o].files = append(gi.embedded[o].files, fs...)
		}
		for _, g := range gi.embedded {
			g.digest = k.digest(g.files, false)
		}
	})
	return &k.goIn
}

// walk lists the regular files under dir, git-ignored or not, leaving out
// .git and _output; root-relative where dir is inside the tree. A missing
// dir is empty: the go command then fails, and a failure is never stored.
// Nested modules are left out unless all is set.
func (k *keyer) walk(dir string, all bool) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			if p != dir && (d.Name() == ".git" || d.Name() == "_output") {
				return filepath.SkipDir
			}
			if p != dir && !all {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if d.Type().IsRegular() {
			if rel := k.ws.Rel(p); !strings.HasPrefix(rel, "../") {
				p = rel
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// scope returns the modules whose files a module's result depends on
// under the step's scope: the module, and for ScopeModuleDeps every
// workspace module it reaches by a requirement or by an import (in a
// workspace a module's packages may import another workspace module's
// without requiring it), directly or not.
func (k *keyer) scope(ctx context.Context, s *Step, m *workspace.Module) []*workspace.Module {
	out := []*workspace.Module{m}
	if s.Scope != ScopeModuleDeps {
		return out
	}
	gi := k.goInputs(ctx)
	byRel := make(map[string]*workspace.Module, len(k.ws.Modules))
	for _, wm := range k.ws.Modules {
		byRel[wm.Rel] = wm
	}
	for i := 0; i < len(out); i++ {
		var deps []*workspace.Module
		if out[i].File != nil {
			for _, r := range out[i].File.Require {
				if dep := k.ws.ModuleByPath(r.Mod.Path); dep != nil {
					deps = append(deps, dep)
				}
			}
		}
		for _, rel := range slices.Sorted(maps.Keys(gi.imports[out[i].Rel])) {
			if dep := byRel[rel]; dep != nil {
				deps = append(deps, dep)
			}
		}
		for _, dep := range deps {
			if !slices.Contains(out, dep) {
				out = append(out, dep)
			}
		}
	}
	return out
}

func keyOf(m cache.Manifest) cache.Key {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, m[k])
	}
	var key cache.Key
	copy(key[:], h.Sum(nil))
	return key
}

// lastID names a step's latest successful run in a workspace.
func lastID(ws *workspace.Workspace, s *Step, m *workspace.Module) string {
	id := ws.Root + "\x00" + s.Name
	if m != nil {
		id += "\x00" + m.Rel
	}
	return id
}

// modCacheVar names the module cache in a portable path.
const modCacheVar = "$GOMODCACHE"

// portable names an absolute path the same way on every machine where it
// holds the same thing: root-relative inside the workspace, relative to
// $GOMODCACHE inside the module cache (whose content is fixed by module
// version); any other path stays absolute, and a read of it holds only
// where that path says the same.
func (k *keyer) portable(abs string) string {
	if rel := k.ws.Rel(abs); rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel) {
		return rel
	}
	if mc := k.ws.Env.Get("GOMODCACHE"); mc != "" {
		if rel, err := filepath.Rel(mc, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return modCacheVar + "/" + filepath.ToSlash(rel)
		}
	}
	return abs
}

// resolve returns the absolute path of a portable name.
func (k *keyer) resolve(name string) string {
	if rest, ok := strings.CutPrefix(name, modCacheVar+"/"); ok {
		return filepath.Join(k.ws.Env.Get("GOMODCACHE"), filepath.FromSlash(rest))
	}
	return k.ws.Abs(name)
}

// closure returns the directories of the workspace packages that a
// module's packages import, directly or not: the imports of its own Go
// files, tests included, then those of the imported packages' non-test
// files (their tests are not compiled for the module). ok is false when
// some Go file's imports could not be read.
func (k *keyer) closure(ctx context.Context, mod *workspace.Module) (map[string]bool, bool) {
	gi := k.goInputs(ctx)
	if gi.err != nil || gi.unread {
		return nil, false
	}
	k.mu.Lock()
	c, ok := k.closures[mod.Rel]
	k.mu.Unlock()
	if ok {
		return c, true
	}
	c = make(map[string]bool)
	var queue []string
	visit := func(imports map[string]bool) {
		for d := range imports {
			if !c[d] {
				c[d] = true
				queue = append(queue, d)
			}
		}
	}
	for dir := range gi.pkgs {
		if k.index.Of(path.Join(dir, "x.go")) == mod.Rel {
			visit(gi.pkgs[dir])
		}
	}
	for dir := range gi.tests {
		if k.index.Of(path.Join(dir, "x.go")) == mod.Rel {
			visit(gi.tests[dir])
		}
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		visit(gi.pkgs[d])
	}
	k.mu.Lock()
	if k.closures == nil {
		k.closures = make(map[string]map[string]bool)
	}
	k.closures[mod.Rel] = c
	k.mu.Unlock()
	return c, true
}

// narrow returns the files of g (an owner module's Go files) that are in
// the packages of closure, hashed once per module and owner.
func (k *keyer) narrow(g *group, owner string, mod *workspace.Module, closure map[string]bool) *group {
	id := mod.Rel + "\x00" + owner
	k.mu.Lock()
	n, ok := k.narrowed[id]
	k.mu.Unlock()
	if ok {
		return n
	}
	n = &group{}
	if g != nil {
		for _, f := range g.files {
			if closure[path.Dir(f)] {
				n.files = append(n.files, f)
			}
		}
	}
	n.digest = k.digest(n.files, false)
	k.mu.Lock()
	if k.narrowed == nil {
		k.narrowed = make(map[string]*group)
	}
	k.narrowed[id] = n
	k.mu.Unlock()
	return n
}
