//go:build race

package pages

// raceDetector: this test binary runs with -race, whose sync.Pool drops
// a share of what is put back, so allocation counts are not exact.
const raceDetector = true
