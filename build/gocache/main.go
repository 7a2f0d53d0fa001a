// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package gocache

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hackless/hackless/build/cache"
)

// Flag is the one argument with which a program that calls Main serves
// the go command's build cache; GOCACHEPROG names the program and Flag.
const Flag = "-hackless-gocacheprog"

// Environment of the program: where outputs are kept, the marker of a
// failed remote, and the remote cache (its URL, token, read-only mode
// and time budget, as hackless's own settings name them).
const (
	EnvDir  = "HACKLESS_GOCACHE_DIR"
	EnvDown = "HACKLESS_GOCACHE_DOWN"
)

// Main serves the go command on stdin and stdout, configured by the
// environment, and returns the exit code.
func Main() int {
	cfg, err := configFromEnv()
	if err == nil {
		err = Serve(context.Background(), os.Stdin, os.Stdout, cfg)
	}
	if cfg.Remote != nil {
		cfg.Remote.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hackless gocacheprog:", err)
		return 1
	}
	return 0
}

func configFromEnv() (Config, error) {
	cfg := Config{Dir: os.Getenv(EnvDir), DownFile: os.Getenv(EnvDown)}
	if cfg.Dir == "" {
		return cfg, fmt.Errorf("%s is not set", EnvDir)
	}
	url := os.Getenv("HACKLESS_REMOTE_CACHE")
	if url == "" || url == "off" {
		return cfg, nil
	}
	rc := cache.RemoteConfig{URL: url, Token: os.Getenv("HACKLESS_REMOTE_CACHE_TOKEN")}
	if k := os.Getenv("HACKLESS_REMOTE_CACHE_KEY"); k != "" {
		rc.SigningKey = []byte(k)
	}
	rc.ReadOnly, _ = strconv.ParseBool(strings.TrimSpace(os.Getenv("HACKLESS_REMOTE_CACHE_READONLY")))
	if d, err := time.ParseDuration(os.Getenv("HACKLESS_REMOTE_CACHE_TIMEOUT")); err == nil && d > 0 {
		rc.RequestTimeout = d
	} else {
		rc.RequestTimeout = cache.DefaultRemoteBudget
	}
	// Each request is bounded; the go command's outputs may take longer
	// than a step cache's budget to move in all, and a failure stops the
	// remote for the whole run through the marker file.
	rc.Budget = time.Hour
	r, err := cache.NewRemote(rc)
	if err != nil {
		return cfg, err
	}
	cfg.Remote = r
	return cfg, nil
}
