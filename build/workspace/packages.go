// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
)

// Package is one package of the workspace, as `go list -json` describes it.
type Package struct {
	ImportPath   string
	Name         string
	Dir          string
	Module       *PackageModule
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
	Standard     bool
	Error        *struct{ Err string }
}

// PackageModule is the module of a package in a listing.
type PackageModule struct {
	Path, Version, Dir string
	Main               bool
	Replace            *struct{ Path, Version, Dir string }
}

// Packages lists every package of the workspace's modules with one
// `go list -e -json work`, the first time it is called; later calls share
// the result. Packages that fail to load are returned with Error set rather
// than failing the listing.
func (ws *Workspace) Packages(ctx context.Context) ([]*Package, error) {
	return ws.packages.get(func() ([]*Package, error) { return ws.list(ctx, "-e", "-json", "work") })
}

// Deps lists the packages the workspace's packages import, directly or
// not, and the workspace's packages themselves, without tests and without
// the standard library: what the workspace ships. It runs one
// `go list -deps` the first time it is called; later calls share the
// result.
func (ws *Workspace) Deps(ctx context.Context) ([]*Package, error) {
	return ws.deps.get(func() ([]*Package, error) {
		pkgs, err := ws.list(ctx, "-e", "-deps", "-json=ImportPath,Name,Dir,Module,GoFiles,CgoFiles,Imports,Standard,Error", "work")
		return slices.DeleteFunc(pkgs, func(p *Package) bool { return p.Standard }), err
	})
}

// DepsOn is Deps on each of platforms (GOOS/GOARCH), merged: a package
// is shipped if it is on any of them, and its imports are those of all of
// them. What a repository ships is what it builds for: a Windows-only
// dependency of a CLI built for Windows ships too. The host's platform
// alone is Deps. Each set of platforms is listed once per Workspace.
func (ws *Workspace) DepsOn(ctx context.Context, platforms []string) ([]*Package, error) {
	host := runtime.GOOS + "/" + runtime.GOARCH
	if len(platforms) == 0 || len(platforms) == 1 && platforms[0] == host {
		return ws.Deps(ctx)
	}
	key := strings.Join(platforms, " ")
	ws.depsOnMu.Lock()
	defer ws.depsOnMu.Unlock()
	if pkgs, ok := ws.depsOn[key]; ok {
		return pkgs, nil
	}
	byPath := make(map[string]*Package)
	var order []*Package
	for _, pl := range platforms {
		goos, goarch, _ := strings.Cut(pl, "/")
		var pkgs []*Package
		var err error
		if pl == host {
			pkgs, err = ws.Deps(ctx)
		} else {
			pkgs, err = ws.listEnv(ctx, []string{"GOOS=" + goos, "GOARCH=" + goarch}, "-e", "-deps", "-json=ImportPath,Name,Dir,Module,GoFiles,CgoFiles,Imports,Standard,Error", "work")
			pkgs = slices.DeleteFunc(pkgs, func(p *Package) bool { return p.Standard })
		}
		if err != nil {
			return nil, err
		}
		for _, p := range pkgs {
			have := byPath[p.ImportPath]
			if have == nil {
				c := *p
				c.Imports = slices.Clone(p.Imports)
				byPath[p.ImportPath] = &c
				order = append(order, &c)
				continue
			}
			for _, imp := range p.Imports {
				if !slices.Contains(have.Imports, imp) {
					have.Imports = append(have.Imports, imp)
				}
			}
			if p.Error == nil {
				have.Error = nil // it loads on some platform
			}
		}
	}
	if ws.depsOn == nil {
		ws.depsOn = make(map[string][]*Package)
	}
	ws.depsOn[key] = order
	return order, nil
}

func (ws *Workspace) list(ctx context.Context, args ...string) ([]*Package, error) {
	return ws.listEnv(ctx, nil, args...)
}

// listEnv runs go list with args, and env added to the run's environment.
func (ws *Workspace) listEnv(ctx context.Context, env []string, args ...string) ([]*Package, error) {
	if len(ws.Modules) == 0 {
		return nil, nil
	}
	cmd := ws.Env.Command(ctx, ws.Root, "go", append([]string{"list"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var pkgs []*Package
	dec := json.NewDecoder(&stdout)
	for {
		p := new(Package)
		err := dec.Decode(p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}
