// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package licenses finds, identifies and records the licenses of Go
// modules, in the layout of Kubernetes's LICENSES/ database.
package licenses

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hackless/hackless/internal/jsonfile"
)

// MinCoverage is the share of a license file, in percent, that known
// license texts must cover for the file to count as identified; the
// threshold pkg.go.dev applies.
const MinCoverage = 75

// DefaultAllowed is CNCF's allowlist of licenses for dependencies, plus
// Apache-2.0.
var DefaultAllowed = []string{
	"Apache-2.0", "0BSD", "BSD-2-Clause", "BSD-2-Clause-FreeBSD", "BSD-3-Clause", "MIT", "MIT-0",
	"ISC", "OpenSSL", "PSF-2.0", "Python-2.0", "PostgreSQL", "UPL-1.0", "X11", "Zlib",
}

// File is the license file of a module.
type File struct {
	Name string // path relative to the module directory
	Data []byte
}

var (
	licenseRE   = regexp.MustCompile(`(?i)\b(license|copyright)\b`)
	copyrightRE = regexp.MustCompile(`(?i)\bcopyright\b`)
)

// Find returns the license file of the module in dir as Kubernetes's
// update-vendor-licenses.sh finds it: a licen[sc]e* file at the top that
// mentions a license or copyright; else a notice* or readme* file, up to
// three levels down, that mentions a copyright; else a copying* file at
// the top. Names match without regard to case, and within each kind the
// first in sorted order wins. It returns nil when there is none.
func Find(dir string) (*File, error) {
	kinds := []struct {
		prefixes []string
		depth    int
		want     *regexp.Regexp
	}{
		{[]string{"licence", "license"}, 1, licenseRE},
		{[]string{"notice", "readme"}, 3, copyrightRE},
		{[]string{"copying"}, 1, licenseRE},
	}
	for _, k := range kinds {
		names, err := candidates(dir, k.prefixes, k.depth)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return nil, err
			}
			if k.want.Match(data) {
				return &File{Name: filepath.ToSlash(n), Data: data}, nil
			}
		}
	}
	return nil, nil
}

// candidates lists the regular files up to depth levels below dir whose
// names start with one of prefixes, case-insensitively, sorted.
func candidates(dir string, prefixes []string, depth int) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel != "." && strings.Count(rel, string(filepath.Separator))+1 >= depth {
				return filepath.SkipDir
			}
			return nil
		}
		lower := strings.ToLower(d.Name())
		if d.Type().IsRegular() && slices.ContainsFunc(prefixes, func(pre string) bool { return strings.HasPrefix(lower, pre) }) {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Identify returns the SPDX identifiers of the licenses in a license file
// and the share of the text they cover. The identifiers are nil when the
// coverage is below MinCoverage.
func Identify(data []byte) (ids []string, coverage float64) {
	return threshold(scan(data))
}

// Policy says which licenses are allowed, and what to assume for modules
// whose license the classifier cannot decide.
type Policy struct {
	// Allowed adds licenses to DefaultAllowed, or replaces it when
	// ReplaceDefaults is set.
	Allowed         []string `json:"allowed,omitempty"`
	ReplaceDefaults bool     `json:"replaceDefaults,omitempty"`
	// AllowedFor allows licenses for the named modules only, as a font
	// package under CC-BY-4.0.
	AllowedFor map[string][]string `json:"allowedFor,omitempty"`
	// Overrides maps a module path to the SPDX identifier to use instead
	// of what is found, for modules the classifier cannot decide.
	Overrides map[string]string `json:"overrides,omitempty"`
}

// ParsePolicy reads a policy file; errors name the file and line.
func ParsePolicy(name string, data []byte) (*Policy, error) {
	var p Policy
	if err := jsonfile.Decode(name, data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Allows reports whether every identifier is allowed for the module; none
// is not.
func (p *Policy) Allows(module string, ids []string) bool {
	allowed := DefaultAllowed
	if p != nil {
		if p.ReplaceDefaults {
			allowed = nil
		}
		allowed = slices.Concat(allowed, p.Allowed, p.AllowedFor[module])
	}
	return len(ids) > 0 && !slices.ContainsFunc(ids, func(id string) bool { return !slices.Contains(allowed, id) })
}

// Entry returns the LICENSES/vendor/<module>/LICENSE file for a module, as
// Kubernetes writes it: a banner, the license text, and a trailer with the
// license file's path and MD5.
func Entry(module string, f *File) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "= vendor/%s licensed under: =\n\n", module)
	b.Write(f.Data)
	fmt.Fprintf(&b, "\n= vendor/%s/%s %x\n", module, f.Name, md5.Sum(f.Data))
	return b.Bytes()
}

// RootEntry returns LICENSES/LICENSE for the repository's own license.
func RootEntry(name string, data []byte) []byte {
	const rule = "================================================================================\n"
	var b bytes.Buffer
	b.WriteString(rule)
	fmt.Fprintf(&b, "= %s licensed under: =\n\n", name)
	b.Write(data)
	fmt.Fprintf(&b, "\n= LICENSE %x\n", md5.Sum(data))
	b.WriteString(rule)
	return b.Bytes()
}
