//go:build !(amd64 || arm64)

package gunzip

import "encoding/binary"

// inLoad returns the 8 bytes at r.in[i:], little-endian.
func (r *Reader) inLoad(i int) uint64 { return binary.LittleEndian.Uint64(r.in[i:]) }

// outLoad returns the 8 bytes at r.out[i:], little-endian.
func (r *Reader) outLoad(i int) uint64 { return binary.LittleEndian.Uint64(r.out[i:]) }

// outStore writes v at r.out[i:], little-endian.
func (r *Reader) outStore(i int, v uint64) { binary.LittleEndian.PutUint64(r.out[i:], v) }

// outStore16 writes v at r.out[i:], little-endian.
func (r *Reader) outStore16(i int, v uint16) { binary.LittleEndian.PutUint16(r.out[i:], v) }

// outByte writes b at r.out[i].
func (r *Reader) outByte(i int, b byte) { r.out[i] = b }
