//go:build !race

package pages

// raceDetector: see race_on_test.go.
const raceDetector = false
