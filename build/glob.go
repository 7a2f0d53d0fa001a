// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"path"
	"slices"
	"strings"
)

// matchGlob reports whether the slash path p matches pattern, in which
// "**" matches any number of directories and other elements follow
// path.Match.
func matchGlob(pattern, p string) bool {
	// Fast paths for the usual shapes.
	switch {
	case pattern == "**/*" || pattern == "**":
		return true
	case !strings.ContainsAny(pattern, "*?["):
		return p == pattern
	}
	if dir, ok := strings.CutSuffix(pattern, "/**"); ok && !strings.ContainsAny(dir, "*?[") {
		return strings.HasPrefix(p, dir+"/")
	}
	if exts, ok := strings.CutPrefix(pattern, "**/*.{"); ok && strings.HasSuffix(exts, "}") {
		// **/*.{a,b}: any file with one of these extensions
		ext := path.Ext(p)
		return ext != "" && slices.Contains(strings.Split(strings.TrimSuffix(exts, "}"), ","), ext[1:])
	}
	if rest, ok := strings.CutPrefix(pattern, "**/"); ok && !strings.ContainsAny(rest, "/[?") {
		if ext, ok := strings.CutPrefix(rest, "*"); ok && !strings.Contains(ext, "*") {
			return strings.HasSuffix(path.Base(p), ext)
		}
		if !strings.Contains(rest, "*") {
			return path.Base(p) == rest
		}
	}
	return matchSegments(strings.Split(pattern, "/"), strings.Split(p, "/"))
}

func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// MatchGlob reports whether the slash-separated path p matches pattern,
// where "**" matches any number of directories and other elements follow
// path.Match: the glob syntax of Inputs and of hackless.yaml.
func MatchGlob(pattern, p string) bool { return matchGlob(pattern, p) }
