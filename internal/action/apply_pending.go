package action

import (
	"context"
	"errors"
)

// apply is not built yet: it needs the engine's apply.
func (r *runner) apply(context.Context) error {
	return errors.New("apply is not available in this build of the Action yet")
}
