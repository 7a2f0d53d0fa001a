package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/workspace"
)

// keyer computes the cache keys of one run: it lists and hashes the
// workspace's files once, and asks for tool versions once.
type keyer struct {
	ws     *workspace.Workspace
	cache  *cache.Cache
	hasher *cache.Hasher

	stored atomic.Bool // an entry was stored: trim the cache
	self   string      // the hash of the running executable

	mu       sync.Mutex
	files    []string
	modDirs  []string
	owners   map[string]string // file -> module directory, "" outside every module
	matches  map[string]map[string]*group
	hashes   map[string]string // per file, once per run
	headers  map[string]string // per Go file header, once per run
	versions map[string]*versionOnce
}

func newKeyer(ctx context.Context, ws *workspace.Workspace, c *cache.Cache) (*keyer, error) {
	k := &keyer{ws: ws, cache: c, hasher: c.Hasher(ws.Root), matches: map[string]map[string]*group{}, hashes: map[string]string{}, headers: map[string]string{}, versions: map[string]*versionOnce{}}
	// hackless itself: the running executable (the magefile, with its own
	// steps, compiled with hackless).
	var err error
	if k.self, err = selfID(); err != nil {
		return nil, err
	}
	// Ask for the tools' versions while the files are listed and stat'ed.
	for _, t := range []string{"go", "git"} {
		go k.version(ctx, t)
	}
	if k.files, err = ws.AllFiles(ctx); err != nil {
		return nil, err
	}
	if k.modDirs, err = ws.ModuleDirs(ctx); err != nil {
		return nil, err
	}
	k.owners = make(map[string]string, len(k.files))
	owners := workspace.NewOwners(k.modDirs)
	for _, f := range k.files {
		k.owners[f] = owners.Of(f)
	}
	k.prefetch()
	return k, nil
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

// selfID identifies the running executable by the Go build ID the linker
// puts near its start, which is derived from the content of everything it
// was built from; without one, by the hash of the whole file. (Mage relinks
// the magefile on every run, so neither a stat nor a path would do.)
func selfID() (string, error) {
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
	for _, f := range k.files {
		if matchGlob(pattern, f) {
			o := k.owners[f]
			if g[o] == nil {
				g[o] = &group{}
			}
			g[o].files = append(g[o].files, f)
		}
	}
	for _, gr := range g {
		h := sha256.New()
		for _, f := range gr.files {
			fh, err := k.hash(f, header)
			if err != nil {
				continue // deleted since listed: not an input
			}
			io.WriteString(h, f)
			io.WriteString(h, "=")
			io.WriteString(h, fh)
			io.WriteString(h, "\n")
		}
		gr.digest = hex.EncodeToString(h.Sum(nil)[:12])
	}
	k.mu.Lock()
	k.matches[id] = g
	k.mu.Unlock()
	return g, nil
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

// version returns a tool's version, asked once per run.
func (k *keyer) version(ctx context.Context, tool string) string {
	if tool == "gofmt" {
		tool = "go"
	}
	k.mu.Lock()
	once, ok := k.versions[tool]
	if !ok {
		once = &versionOnce{}
		k.versions[tool] = once
	}
	k.mu.Unlock()
	once.Do(func() { once.v = k.askVersion(ctx, tool) })
	return once.v
}

type versionOnce struct {
	sync.Once
	v string
}

func (k *keyer) askVersion(ctx context.Context, tool string) string {
	var args []string
	switch tool {
	case "go":
		args = []string{"env", "GOVERSION"}
	case "git":
		args = []string{"--version"}
	default:
		return "" // pinned by a go.mod the step reads
	}
	cmd := k.ws.Env.Command(ctx, k.ws.Root, tool, args...)
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

// manifest lists everything a step's result depends on: hackless itself
// (the running executable), the step, the hermetic settings and the
// step's environment, its tools' versions and the contents of its input
// files; for a module-scoped step, only the files of mods (and those
// outside every module). A large group of files (a module's Go files)
// enters by its digest, a small one file by file.
func (k *keyer) manifest(ctx context.Context, s *Step, mods []*workspace.Module) (cache.Manifest, error) {
	m := cache.Manifest{"step": s.Name, "hackless": k.self}
	for _, kv := range k.ws.Env.Vars() {
		name, val, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GO") || strings.HasPrefix(name, "CGO_") || name == "LC_ALL" || name == "TZ" || slices.Contains(s.Inputs.Env, name) {
			m["env:"+name] = val
		}
	}
	for _, t := range s.Inputs.Tools {
		if v := k.version(ctx, t); v != "" {
			m["tool:"+t] = v
		}
	}
	owners := []string{""} // files outside every module count for every module
	if mods == nil {
		owners = append(owners, k.modDirs...)
	}
	for _, mod := range mods {
		owners = append(owners, mod.Rel)
	}
	for _, in := range []struct {
		patterns []string
		header   bool
		kind     string
	}{{s.Inputs.Files, false, "file"}, {s.Inputs.Headers, true, "header"}} {
		for _, pat := range in.patterns {
			groups, err := k.groups(pat, in.header)
			if err != nil {
				return nil, err
			}
			for _, o := range owners {
				g := groups[o]
				if g == nil {
					continue
				}
				if len(g.files) > smallGroup {
					where := o
					if where == "" {
						where = "outside the modules"
					}
					m[in.kind+"s "+pat+" in "+where] = g.digest
					continue
				}
				for _, f := range g.files {
					if h, err := k.hash(f, in.header); err == nil {
						m[in.kind+":"+f] = h
					}
				}
			}
		}
	}
	return m, nil
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

// moduleInputs returns the modules whose files a module's result depends
// on under scope s: the module, and for ScopeModuleDeps the workspace
// modules it requires, directly or not.
func moduleInputs(ws *workspace.Workspace, m *workspace.Module, s Scope) []*workspace.Module {
	out := []*workspace.Module{m}
	if s != ScopeModuleDeps {
		return out
	}
	for i := 0; i < len(out); i++ {
		for _, r := range out[i].File.Require {
			if dep := ws.ModuleByPath(r.Mod.Path); dep != nil && !slices.Contains(out, dep) {
				out = append(out, dep)
			}
		}
	}
	return out
}

// lastID names a step's latest successful run in a workspace.
func lastID(ws *workspace.Workspace, s *Step, m *workspace.Module) string {
	id := ws.Root + "\x00" + s.Name
	if m != nil {
		id += "\x00" + m.Rel
	}
	return id
}
