// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package filelock serialises processes of one machine that would build
// the same program at once (a compiled magefile, a tool a step runs): the
// go command's build cache races when two processes link the same main
// package together ("cannot open file DO NOT USE - main build pseudo-cache
// built").
package filelock
