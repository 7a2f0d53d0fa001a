// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package licenses

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/licensecheck"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/internal/atomicfile"
)

// A Classifier identifies license texts as Identify does, and remembers
// what it found in a directory, so that a later process need not build
// licensecheck's matcher: that costs about two CPU-seconds in every
// process that identifies a text, far more than the scans themselves. A
// remembered result is named by the SHA-256 of the text and of the
// version and go.sum hash of the licensecheck module that found it, so it
// is the result Identify would give; a classifier built into a binary
// whose licensecheck has no such version (a directory replace) remembers
// nothing. What cannot be read or written is found again, never an error.
type Classifier struct {
	dir     string // "" remembers nothing
	matcher string // the licensecheck module's version and sum
}

// NewClassifier returns a classifier that remembers in dir; "" remembers
// nothing.
func NewClassifier(dir string) *Classifier {
	return newClassifier(dir, matcherVersion())
}

func newClassifier(dir, matcher string) *Classifier {
	if matcher == "" {
		dir = ""
	}
	return &Classifier{dir: dir, matcher: matcher}
}

// matcherVersion names the licensecheck module this binary is built
// with, or "" when it has no version and go.sum hash.
func matcherVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range info.Deps {
		if m.Path != "github.com/google/licensecheck" {
			continue
		}
		if m.Replace != nil {
			m = m.Replace
		}
		if m.Version == "" || m.Sum == "" {
			return ""
		}
		return m.Path + "@" + m.Version + " " + m.Sum
	}
	return ""
}

// memoHeader starts every remembered result; a file without it is not one.
const memoHeader = "hackless-license-v1\n"

// Identify returns the SPDX identifiers of the licenses in a license file
// and the share of the text they cover, as Identify does.
func (c *Classifier) Identify(data []byte) (ids []string, coverage float64) {
	if c.dir == "" {
		return Identify(data)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n", c.matcher, len(data))
	h.Write(data)
	sum := hex.EncodeToString(h.Sum(nil))
	path := filepath.Join(c.dir, sum[:2], sum)
	if b, err := os.ReadFile(path); err == nil {
		if ids, coverage, ok := parseMemo(string(b)); ok {
			if fi, err := os.Stat(path); err == nil {
				cache.MarkUsed(path, fi, time.Now()) // kept by use, as the cache's entries are
			}
			return threshold(ids, coverage)
		}
	}
	ids, coverage = scan(data)
	var b strings.Builder
	b.WriteString(memoHeader)
	b.WriteString(strconv.FormatFloat(coverage, 'g', -1, 64) + "\n")
	for _, id := range ids {
		b.WriteString(id + "\n")
	}
	if os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		atomicfile.Write(path, []byte(b.String()), 0o644) // best effort: found again next time
	}
	return threshold(ids, coverage)
}

// parseMemo reads a remembered result: the header, the coverage, and one
// identifier per line.
func parseMemo(s string) (ids []string, coverage float64, ok bool) {
	rest, found := strings.CutPrefix(s, memoHeader)
	if !found || !strings.HasSuffix(rest, "\n") {
		return nil, 0, false
	}
	lines := strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
	coverage, err := strconv.ParseFloat(lines[0], 64)
	if err != nil {
		return nil, 0, false
	}
	for _, id := range lines[1:] {
		if id == "" {
			return nil, 0, false
		}
		ids = append(ids, id)
	}
	return ids, coverage, true
}

// scan returns the identifiers licensecheck finds in data, each once, and
// the share of the text they cover, whatever it is.
func scan(data []byte) (ids []string, coverage float64) {
	cov := licensecheck.Scan(data)
	for _, m := range cov.Match {
		if !slices.Contains(ids, m.ID) {
			ids = append(ids, m.ID)
		}
	}
	return ids, cov.Percent
}

// threshold drops the identifiers of a text they cover less than
// MinCoverage of.
func threshold(ids []string, coverage float64) ([]string, float64) {
	if coverage < MinCoverage {
		return nil, coverage
	}
	return ids, coverage
}
