package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Package is one package of the workspace, as `go list -json` describes it.
type Package struct {
	ImportPath   string
	Name         string
	Dir          string
	Module       *struct{ Path, Dir string }
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
	Error        *struct{ Err string }
}

// Packages lists every package of the workspace's modules with one
// `go list -e -json work`, the first time it is called; later
// calls share the result. Packages that fail to load are returned with
// Error set rather than failing the listing.
func (ws *Workspace) Packages(ctx context.Context) ([]*Package, error) {
	return ws.packages.get(func() ([]*Package, error) {
		if len(ws.Modules) == 0 {
			return nil, nil
		}
		cmd := ws.Env.Command(ctx, ws.Root, "go", "list", "-e", "-json", "work")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go list work: %w\n%s", err, stderr.Bytes())
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
	})
}
