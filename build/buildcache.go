// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/gocache"
)

// buildCacheEnv returns the caller's environment for a run whose go
// commands share their build cache through the remote cache: GOCACHEPROG
// names opts.GoCacheProg, which keeps outputs in the step cache's
// directory and learns the remote's settings from the environment; and
// the marker file its first failure writes (see package gocache), or "".
func buildCacheEnv(opts Options) ([]string, string) {
	rc := opts.RemoteCache
	if opts.GoCacheProg == "" || rc.URL == "" || rc.BuildCacheDir == "" {
		return opts.Env, ""
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GOCACHEPROG=") && kv != "GOCACHEPROG=" }) {
		return env, "" // the caller's own program
	}
	dir, err := filepath.Abs(rc.BuildCacheDir)
	if err != nil {
		return env, ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return env, ""
	}
	down := filepath.Join(dir, fmt.Sprintf("down.%d", os.Getpid()))
	os.Remove(down)
	timeout := rc.Budget
	if timeout <= 0 {
		timeout = cache.DefaultRemoteBudget
	}
	u, err := url.Parse(rc.URL)
	if err != nil {
		return env, ""
	}
	env = append(slices.Clone(env),
		"GOCACHEPROG="+opts.GoCacheProg,
		gocache.EnvDir+"="+dir,
		gocache.EnvDown+"="+down,
		"HACKLESS_REMOTE_CACHE="+u.String(),
		"HACKLESS_REMOTE_CACHE_READONLY="+strconv.FormatBool(rc.ReadOnly),
		"HACKLESS_REMOTE_CACHE_TIMEOUT="+timeout.String(),
	)
	if rc.Token != "" {
		env = append(env, "HACKLESS_REMOTE_CACHE_TOKEN="+rc.Token)
	}
	if len(rc.SigningKey) > 0 {
		env = append(env, "HACKLESS_REMOTE_CACHE_KEY="+string(rc.SigningKey))
	}
	return env, down
}
