//go:build !linux

package store

// pageOut gives back nothing where there is no MADV_PAGEOUT.
func pageOut(dir string) error { return nil }
