//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package cache

import "syscall"

func changeTime(st *syscall.Stat_t) int64 { return st.Ctimespec.Sec*1e9 + st.Ctimespec.Nsec }
