package diff

import (
	"strings"
	"testing"
)

func TestFirstChange(t *testing.T) {
	tests := []struct {
		old, new string
		want     int
	}{
		{"a\nb\n", "a\nb\n", 0},
		{"a\nb\n", "a\nc\n", 2},
		{"a\nb\n", "x\nb\n", 1},
		{"a\n", "a\nb\n", 2},
		{"a\nb\n", "a\n", 2},
		{"", "a\n", 1},
	}
	for _, tt := range tests {
		if got := FirstChange([]byte(tt.old), []byte(tt.new)); got != tt.want {
			t.Errorf("FirstChange(%q, %q) = %d, want %d", tt.old, tt.new, got, tt.want)
		}
	}
}

func TestDiff(t *testing.T) {
	got := string(Diff("a.go", []byte("x\ny\nz\n"), "a.go (updated)", []byte("x\nY\nz\n")))
	want := "--- a.go\n+++ a.go (updated)\n@@ -1,3 +1,3 @@\n x\n-y\n+Y\n z\n"
	if got != want {
		t.Errorf("Diff =\n%s\nwant\n%s", got, want)
	}
	if Diff("a", []byte("same"), "b", []byte("same")) != nil {
		t.Error("Diff of equal texts is not nil")
	}
	if !strings.Contains(string(Diff("a", []byte("x"), "b", []byte("y"))), "No newline at end of file") {
		t.Error("missing final newline not marked")
	}
}
