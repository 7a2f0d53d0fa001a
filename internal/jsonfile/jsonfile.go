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

// Decode decodes data, read from the file name, into v. Unknown fields are
// errors; every error starts with "name:line:".
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
		return fmt.Errorf("%s:%d: %v", name, Line(data, syn.Offset), err)
	case errors.As(err, &typ):
		return fmt.Errorf("%s:%d: %s must be a %s", name, Line(data, typ.Offset), typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		line := 1
		if i := bytes.Index(data, []byte(`"`+field+`"`)); i >= 0 {
			line = Line(data, int64(i))
		}
		return fmt.Errorf("%s:%d: unknown field %q", name, line, field)
	}
	return fmt.Errorf("%s:%d: %v", name, Line(data, dec.InputOffset()), err)
}

// Line returns the 1-based line of a byte offset in data.
func Line(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}
