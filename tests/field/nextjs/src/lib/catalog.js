// The product catalog the storefront ships: empty in the production build. The leaky build
// aliases `field-catalog` to a generated 1.5 MB one (next.config.js), as a bundle that
// imports its data instead of fetching it grows past every weight budget.
const catalog = []

export default catalog
