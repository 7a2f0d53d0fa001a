// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/atomicfile"
	"github.com/hackless/hackless/internal/filelock"
)

// ShadowHistory is what the verify runs of a repository on this machine
// said of its shadow pairs, kept in shadow/ of the cache directory.
type ShadowHistory struct {
	Pairs []*ShadowPair
}

// ShadowPair is one pair's record: how many runs compared the two, how
// many agreed, and the last verdict.
type ShadowPair struct {
	Builtin, Own string
	Runs, Agreed int
	Last         build.ShadowResult
}

// shadowFile is where a repository's shadow history is kept.
func shadowFile(root string) (string, error) {
	dir := os.Getenv("HACKLESS_CACHE_DIR")
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(d, "hackless")
	}
	sum := sha256.Sum256([]byte(root))
	return filepath.Join(dir, "shadow", hex.EncodeToString(sum[:8])+".json"), nil
}

// LoadShadowHistory reads the shadow history of the repository at root.
func LoadShadowHistory(root string) (*ShadowHistory, error) {
	name, err := shadowFile(root)
	if err != nil {
		return nil, err
	}
	h := &ShadowHistory{}
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	if json.Unmarshal(data, h) != nil {
		return &ShadowHistory{}, nil // a record that does not read starts anew
	}
	return h, nil
}

// recordShadow adds a run's shadow verdicts to the repository's history.
func recordShadow(rep *build.Report) error {
	name, err := shadowFile(rep.Root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	unlock, err := filelock.Lock(name + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	h, err := LoadShadowHistory(rep.Root)
	if err != nil {
		return err
	}
	for _, s := range rep.Shadow {
		var p *ShadowPair
		for _, q := range h.Pairs {
			if q.Builtin == s.Builtin && q.Own == s.Own {
				p = q
			}
		}
		if p == nil {
			p = &ShadowPair{Builtin: s.Builtin, Own: s.Own}
			h.Pairs = append(h.Pairs, p)
		}
		p.Runs++
		if s.Agree() {
			p.Agreed++
		}
		p.Last = s
	}
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	_, err = atomicfile.Write(name, data, 0o644)
	return err
}
