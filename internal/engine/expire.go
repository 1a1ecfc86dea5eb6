package engine

import (
	"context"
	"time"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/manifest"
)

// Expire enforces expiry without a review: in every environment of envs it
// re-plans from live IAM through src (which should act with the apply
// role) and applies only the removals of grants whose expires has passed
// (plan.ExpiryOnly): expired users and service accounts with their whole
// teardown, and ended group memberships. Everything else in the fresh plan
// is left for a reviewed apply. An environment whose expired users exceed
// max_deletions is refused. Environments run in promotion order, but a
// failure does not stop the others: a removal that was due in production
// should not wait for development.
//
// opts.Planned and opts.Skipped see each environment's kept and skipped
// changes; ExpiryOnly and KeepGoing are set by Expire.
func Expire(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, writers WriterFunc, now time.Time, opts ApplyOptions) (*apply.Result, error) {
	opts.ExpiryOnly, opts.KeepGoing = true, true
	return Apply(ctx, repo, envs, src, writers, now, opts)
}
