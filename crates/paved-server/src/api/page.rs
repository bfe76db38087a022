//! The one shape of every list the API answers, and the paging of its
//! query (`limit`, `offset`).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;

/// Default page size of a list.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size of a list.
pub const MAX_LIMIT: u32 = 1000;

/// One page of a list. Every list of the API answers this shape: the items
/// of the page, how many there are in all, and the offset of the next page
/// (absent on the last).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page, in the order the operation describes.
    pub items: Vec<T>,
    /// How many items match in all, on every page.
    pub total: u64,
    /// The page size used.
    pub limit: u32,
    /// How many items were skipped.
    pub offset: u64,
    /// The `offset` of the next page; absent on the last page.
    pub next_offset: Option<u64>,
}

/// The query of a list that takes nothing but paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PagingQuery {
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

impl PagingQuery {
    /// The paging asked for, 100 a page by default.
    ///
    /// # Errors
    /// 400 for a `limit` out of bounds.
    pub fn paging(&self) -> Result<Paging, ApiError> {
        Paging::new(self.limit, self.offset, DEFAULT_LIMIT)
    }
}

/// The validated `limit` and `offset` of a list query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The page size, within the list's bounds.
    pub limit: u32,
    /// How many items to skip.
    pub offset: u64,
}

impl Paging {
    /// The paging asked for, with the list's default size (`default`) and
    /// [`MAX_LIMIT`].
    ///
    /// # Errors
    /// 400 for a `limit` of 0 or above the largest page.
    pub fn new(limit: Option<u32>, offset: Option<u64>, default: u32) -> Result<Self, ApiError> {
        Self::within(limit, offset, default, MAX_LIMIT)
    }

    /// As [`Paging::new`], with a largest page of `max`.
    ///
    /// # Errors
    /// 400 for a `limit` of 0 or above `max`, or an `offset` beyond what a
    /// database counts (2^63 - 1).
    pub fn within(limit: Option<u32>, offset: Option<u64>, default: u32, max: u32) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            return Err(ApiError::bad_request(format!("limit must be between 1 and {max}, not {limit}")));
        }
        let offset = offset.unwrap_or(0);
        if i64::try_from(offset).is_err() {
            return Err(ApiError::bad_request(format!("offset must be at most {}, not {offset}", i64::MAX)));
        }
        Ok(Self { limit, offset })
    }
}

impl<T> Page<T> {
    /// A page of `items` read with `paging` out of `total` in all.
    pub fn new(items: Vec<T>, total: u64, paging: Paging) -> Self {
        let shown = paging.offset.saturating_add(items.len() as u64);
        Self { items, total, limit: paging.limit, offset: paging.offset, next_offset: (shown < total).then_some(shown) }
    }

    /// A whole list as one page (the answer of an action that yields a
    /// list, such as an evaluation).
    pub fn whole(items: Vec<T>) -> Self {
        let total = items.len() as u64;
        Self::new(items, total, Paging { limit: u32::try_from(total).unwrap_or(u32::MAX).max(1), offset: 0 })
    }

    /// The page `paging` asks for out of a whole list held in memory.
    pub fn of(all: Vec<T>, paging: Paging) -> Self {
        let total = all.len() as u64;
        let skip = usize::try_from(paging.offset).unwrap_or(usize::MAX);
        let items: Vec<T> = all.into_iter().skip(skip).take(paging.limit as usize).collect();
        Self::new(items, total, paging)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_in_memory_says_where_the_next_one_starts() {
        let paging = Paging::new(Some(2), Some(1), 10).unwrap();
        let page = Page::of(vec![1, 2, 3, 4], paging);
        assert_eq!((page.items, page.total, page.next_offset), (vec![2, 3], 4, Some(3)));
        let last = Page::of(vec![1, 2, 3, 4], Paging::new(Some(2), Some(2), 10).unwrap());
        assert_eq!((last.items, last.next_offset), (vec![3, 4], None));
        let beyond = Page::of(vec![1, 2], Paging::new(None, Some(5), 10).unwrap());
        assert_eq!((beyond.items.len(), beyond.total, beyond.next_offset), (0, 2, None));
    }

    #[test]
    fn a_limit_out_of_bounds_is_refused_with_the_bounds() {
        let error = Paging::new(Some(0), None, 10).unwrap_err();
        assert_eq!(error.message(), "limit must be between 1 and 1000, not 0");
        assert!(Paging::new(Some(1001), None, 10).is_err());
        assert!(Paging::new(None, Some(1 << 63), 10).is_err());
        assert_eq!(Paging::new(None, None, 10).unwrap(), Paging { limit: 10, offset: 0 });
    }
}
