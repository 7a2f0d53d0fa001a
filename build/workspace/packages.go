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

func (ws *Workspace) list(ctx context.Context, args ...string) ([]*Package, error) {
	if len(ws.Modules) == 0 {
		return nil, nil
	}
	cmd := ws.Env.Command(ctx, ws.Root, "go", append([]string{"list"}, args...)...)
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
