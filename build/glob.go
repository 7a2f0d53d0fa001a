// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"path"
	"strings"
	"sync"
)

// matchGlob reports whether the slash path p matches pattern, in which
// "**" matches any number of directories and other elements follow
// path.Match.
func matchGlob(pattern, p string) bool { return compileGlob(pattern)(p) }

// globs holds the compiled patterns: a pattern is matched against every
// file of the tree, so it is parsed once per process.
var globs sync.Map // pattern -> func(string) bool

// compileGlob returns a matcher of pattern, with fast paths for the
// usual shapes.
func compileGlob(pattern string) func(string) bool {
	if m, ok := globs.Load(pattern); ok {
		return m.(func(string) bool)
	}
	m := parseGlob(pattern)
	globs.Store(pattern, m)
	return m
}

func parseGlob(pattern string) func(string) bool {
	switch {
	case pattern == "**/*" || pattern == "**":
		return func(string) bool { return true }
	case !strings.ContainsAny(pattern, "*?["):
		return func(p string) bool { return p == pattern }
	}
	if dir, ok := strings.CutSuffix(pattern, "/**"); ok && !strings.ContainsAny(dir, "*?[") {
		return func(p string) bool { return strings.HasPrefix(p, dir+"/") }
	}
	if exts, ok := strings.CutPrefix(pattern, "**/*.{"); ok && strings.HasSuffix(exts, "}") {
		// **/*.{a,b}: any file with one of these extensions
		set := make(map[string]bool)
		for _, e := range strings.Split(strings.TrimSuffix(exts, "}"), ",") {
			set[e] = true
		}
		return func(p string) bool {
			ext := path.Ext(p)
			return ext != "" && set[ext[1:]]
		}
	}
	if mid, ok := strings.CutPrefix(pattern, "**/"); ok && strings.HasSuffix(mid, "/**") {
		// **/dir/**: anything under a directory of that name (or the
		// name itself, as ** may match no element)
		if dir := strings.TrimSuffix(mid, "/**"); !strings.ContainsAny(dir, "*?[/\\") {
			return func(p string) bool {
				return p == dir || strings.HasPrefix(p, dir+"/") || strings.HasSuffix(p, "/"+dir) || strings.Contains(p, "/"+dir+"/")
			}
		}
	}
	if rest, ok := strings.CutPrefix(pattern, "**/"); ok && !strings.ContainsAny(rest, "/[?") {
		if ext, ok := strings.CutPrefix(rest, "*"); ok && !strings.Contains(ext, "*") {
			return func(p string) bool { return strings.HasSuffix(path.Base(p), ext) }
		}
		if !strings.Contains(rest, "*") {
			return func(p string) bool { return path.Base(p) == rest }
		}
	}
	segs := strings.Split(pattern, "/")
	return func(p string) bool { return matchPath(segs, p) }
}

// matchPath reports whether the slash path p matches the pattern's
// elements pat, taking p's elements one by one without splitting it (""
// is no element left): "**" matches any number of elements, any other
// element follows path.Match.
func matchPath(pat []string, p string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for {
				if matchPath(pat[1:], p) {
					return true
				}
				if p == "" {
					return false
				}
				_, p, _ = strings.Cut(p, "/")
			}
		}
		if p == "" {
			return false
		}
		seg, rest, _ := strings.Cut(p, "/")
		if ok, _ := path.Match(pat[0], seg); !ok {
			return false
		}
		pat, p = pat[1:], rest
	}
	return p == ""
}

// MatchGlob reports whether the slash-separated path p matches pattern,
// where "**" matches any number of directories and other elements follow
// path.Match: the glob syntax of Inputs and of hackless.yaml.
func MatchGlob(pattern, p string) bool { return matchGlob(pattern, p) }
