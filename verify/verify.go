// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package verify holds hackless's verify steps as Mage targets. A verify
// target reports what is wrong, and what its update target would change, and
// writes nothing. Import it into a magefile with an alias:
//
//	//mage:import verify
//	_ "github.com/hackless/hackless/verify"
//
// to get verify:gofmt, verify:vet, and so on. The top-level `verify` target,
// which runs them all in parallel, is in package targets.
package verify

//go:generate go run ../internal/gensteps
