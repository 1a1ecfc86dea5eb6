// Package clock holds roster's waits on the real clock. Sleep is the one
// wait that honours cancellation.
// Adapters that wait (the AWS write pacer, the GitHub transport's rate
// limit and retry waits) take their now and sleep functions as
// parameters, so tests pass fakes and see the waits without waiting; Sleep
// is what they use when nobody passes one. Outlive gives work that must
// finish after a cancellation (operations in flight, the final report) a
// bounded grace.
package clock
