// Package atomicfile writes files so that a reader never sees half of one:
// the data goes to a new temporary file in the same directory, created
// with the final mode from the start, which then replaces the target by
// rename. The CLI writes its profiles, receipts, session states and the
// simulator's identity key with it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path with mode perm, also when path exists with
// another mode (the file is replaced, not rewritten). The data is synced
// before the rename, so a crash leaves either the old file or the new one.
func Write(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // nothing left to remove after the rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
