//go:build mage

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// This repository's own targets: hackless, used exactly as an adopter uses it.
package main

import (
	//mage:import
	_ "github.com/hackless/hackless/targets"
	//mage:import verify
	_ "github.com/hackless/hackless/verify"
	//mage:import update
	_ "github.com/hackless/hackless/update"
)
