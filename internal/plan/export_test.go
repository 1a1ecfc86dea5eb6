package plan

// Fixtures of the package's own tests that its external tests (package
// plan_test, which may import iamtest and awsiam) share.
var (
	FixtureConfig = testCfg
	FixtureNow    = testNow
	FixtureEnv    = testEnv
	FixtureDate   = date
	FixtureDocs   = []string{docA, docB}
	SortedSet     = sortedSet
)
