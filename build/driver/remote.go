// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/workspace"
)

// remoteCache returns the remote cache settings of the repository at dir:
// those of hackless.yaml's cache section, overridden by
// HACKLESS_REMOTE_CACHE (the URL; "off" turns it off),
// HACKLESS_REMOTE_CACHE_READONLY, HACKLESS_REMOTE_CACHE_TIMEOUT and
// HACKLESS_REMOTE_BUILDCACHE, with the token of HACKLESS_REMOTE_CACHE_TOKEN
// and the signing key of HACKLESS_REMOTE_CACHE_KEY (else the file
// cache.keyFile names).
//
// With the build cache on, outputs are kept in cacheDir/gocache.
func remoteCache(ctx context.Context, dir, cacheDir string) (cache.RemoteConfig, error) {
	var rc cache.RemoteConfig
	timeout, buildCache := "", false
	if dir == "" {
		dir = "."
	}
	if root, err := workspace.RootOf(ctx, dir); err == nil {
		cfg, err := workspace.LoadConfig(root)
		if err != nil {
			return rc, err
		}
		rc.URL, rc.ReadOnly, timeout = cfg.Cache.Remote, cfg.Cache.ReadOnly, cfg.Cache.Timeout
		buildCache = cfg.Cache.BuildCache
		if f := cfg.Cache.KeyFile; f != "" {
			if !filepath.IsAbs(f) {
				f = filepath.Join(root, f)
			}
			key, err := os.ReadFile(f)
			if err != nil {
				return rc, fmt.Errorf("%s:%d: cache.keyFile: %w", "hackless.yaml", cfg.Line("cache", "keyFile"), err)
			}
			rc.SigningKey = bytes.TrimSpace(key)
		}
	}
	if v := os.Getenv("HACKLESS_REMOTE_CACHE_KEY"); v != "" {
		rc.SigningKey = []byte(v)
	}
	if v := os.Getenv("HACKLESS_REMOTE_BUILDCACHE"); v != "" {
		buildCache = truthy(v)
	}
	if buildCache && cacheDir != "" {
		rc.BuildCacheDir = filepath.Join(cacheDir, "gocache")
	}
	if v := os.Getenv("HACKLESS_REMOTE_CACHE"); v != "" {
		rc.URL = v
	}
	if rc.URL == "off" {
		rc.URL = ""
	}
	if v := os.Getenv("HACKLESS_REMOTE_CACHE_READONLY"); v != "" {
		rc.ReadOnly = truthy(v)
	}
	if v := os.Getenv("HACKLESS_REMOTE_CACHE_TIMEOUT"); v != "" {
		timeout = v
	}
	if timeout != "" {
		d, err := time.ParseDuration(timeout)
		if err != nil || d <= 0 {
			return rc, fmt.Errorf("remote cache timeout %q: want a Go duration such as 10s", timeout)
		}
		rc.Budget = d
	}
	rc.Token = os.Getenv("HACKLESS_REMOTE_CACHE_TOKEN")
	return rc, nil
}
