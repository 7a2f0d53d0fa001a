//go:build linux

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import "syscall"

func changeTime(st *syscall.Stat_t) int64 { return st.Ctim.Sec*1e9 + st.Ctim.Nsec }
