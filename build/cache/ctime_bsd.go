//go:build darwin || freebsd || netbsd || openbsd || dragonfly

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import "syscall"

func changeTime(st *syscall.Stat_t) int64 { return st.Ctimespec.Sec*1e9 + st.Ctimespec.Nsec }
