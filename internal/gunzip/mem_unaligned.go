//go:build amd64 || arm64

package gunzip

import "unsafe"

// On amd64 and arm64, little-endian machines whose loads and stores of 8
// bytes need no alignment, the fast loop reads and writes its buffers
// through these, without the bounds checks (and slice masking) that
// encoding/binary's cost it: the loop's conditions keep every index in
// bounds (see fast), and the tests and the fuzz target run this version.
// Elsewhere, mem_safe.go does the same through encoding/binary.

// inLoad returns the 8 bytes at r.in[i:], little-endian; i+8 ≤ len(r.in).
func (r *Reader) inLoad(i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(&r.in), i))
}

// outLoad returns the 8 bytes at r.out[i:]; i+8 ≤ len(r.out).
func (r *Reader) outLoad(i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(&r.out), i))
}

// outStore writes v at r.out[i:]; i+8 ≤ len(r.out).
func (r *Reader) outStore(i int, v uint64) {
	*(*uint64)(unsafe.Add(unsafe.Pointer(&r.out), i)) = v
}

// outStore16 writes v at r.out[i:]; i+2 ≤ len(r.out).
func (r *Reader) outStore16(i int, v uint16) {
	*(*uint16)(unsafe.Add(unsafe.Pointer(&r.out), i)) = v
}

// outByte writes b at r.out[i]; i < len(r.out).
func (r *Reader) outByte(i int, b byte) {
	*(*byte)(unsafe.Add(unsafe.Pointer(&r.out), i)) = b
}
