package build

import "testing"

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"**/*.go", "a.go", true},
		{"**/*.go", "x/y/a.go", true},
		{"**/*.go", "x/y/a.mod", false},
		{"**/go.mod", "go.mod", true},
		{"**/go.mod", "staging/src/m/go.mod", true},
		{"**/go.mod", "x/notgo.mod", false},
		{"go.work", "go.work", true},
		{"go.work", "x/go.work", false},
		{"vendor/**", "vendor/a/b.go", true},
		{"vendor/**", "vendorx/a", false},
		{"hack/boilerplate/*", "hack/boilerplate/boilerplate.go.txt", true},
		{"hack/boilerplate/*", "hack/boilerplate/x/y", false},
		{"**/testdata/**", "a/testdata/b/c", true},
		{"**/testdata/**", "a/b/c", false},
		{".golangci.*", ".golangci.yml", true},
		{"**/*", "anything/at/all", true},
		{"LICENSES/**", "LICENSES/vendor/x/LICENSE", true},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.path); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}
