package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }

func check(t *testing.T, path, got string) (failed bool) {
	r := &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil && v != r {
			panic(v)
		}
		failed = r.failed
	}()
	Check(r, path, got)
	return r.failed
}

func TestCheck(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.golden")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if check(t, path, "same\n") {
		t.Error("equal output reported as different")
	}
	if !check(t, path, "other\n") {
		t.Error("different output passed")
	}
	if !check(t, filepath.Join(t.TempDir(), "missing.golden"), "x") {
		t.Error("a missing golden file passed")
	}
}
