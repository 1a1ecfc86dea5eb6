// Package action is roster's GitHub Action: it reads the Action's inputs and
// the workflow run's context, picks the work from the event (a pull request
// is validated and planned into one sticky comment; a push to the default
// branch applies what was reviewed; a schedule or a manual run reports
// drift as issues), and writes outputs, the job summary and annotations.
//
// Each job is a front end to package engine in two steps: compute the
// result through the engine (computePlan, computeApply, computeDrift, with
// AWS reached through awsiam.Connector), then publish it (publishPlan,
// publishApply, publishDrift: the plan comment, the issues, the job
// summary, the outputs).
//
// Everything it touches outside its arguments (environment variables, the
// log, the clock, the HTTP client) comes in through [Env], so tests run it
// without the real process environment.
package action
