// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package jsonfile decodes configuration files strictly, with errors that
// name the file and line.
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Error is a problem at a line of a file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Decode decodes data, read from the file name, into v. Unknown fields are
// errors; every error is an *Error.
func Decode(name string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &Error{name, Line(data, syn.Offset), err.Error()}
	case errors.As(err, &typ):
		return &Error{name, Line(data, typ.Offset), fmt.Sprintf("%s must be a %s", typ.Field, typ.Type)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		line := 1
		if i := bytes.Index(data, []byte(`"`+field+`"`)); i >= 0 {
			line = Line(data, int64(i))
		}
		return &Error{name, line, fmt.Sprintf("unknown field %q", field)}
	}
	return &Error{name, Line(data, dec.InputOffset()), err.Error()}
}

// Line returns the 1-based line of a byte offset in data.
func Line(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}
