package awsiam

import "context"

// pager is the shape of the SDK's paginators (iam.NewListUsersPaginator,
// organizations.NewListAccountsPaginator, ...): pages until HasMorePages
// is false.
type pager[Page, Options any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(Options)) (Page, error)
}

// eachPage calls visit with every page of p in turn, and stops at the
// first error, which it returns as the SDK gave it.
func eachPage[Page, Options any](ctx context.Context, p pager[Page, Options], visit func(Page)) error {
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		visit(page)
	}
	return nil
}

// listed returns what pick takes from every page of p, in order, and stops
// at the first error, which it returns as the SDK gave it: the listings
// whose items become one slice.
func listed[Page, Options, V any](ctx context.Context, p pager[Page, Options], pick func(Page) []V) ([]V, error) {
	var all []V
	if err := eachPage(ctx, p, func(page Page) { all = append(all, pick(page)...) }); err != nil {
		return nil, err
	}
	return all, nil
}

// each returns value of every item, nil for none.
func each[T, V any](items []T, value func(T) V) []V {
	var out []V
	for _, it := range items {
		out = append(out, value(it))
	}
	return out
}
