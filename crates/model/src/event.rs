use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// The eight canonical event types of the clickstream (docs/conformance.md#event-type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A page was shown.
    PageView,
    /// A click on a link or button.
    Click,
    /// A site search.
    Search,
    /// A product detail page was shown.
    ProductView,
    /// A product was put in the cart.
    AddToCart,
    /// A product was taken out of the cart.
    RemoveFromCart,
    /// Checkout started.
    BeginCheckout,
    /// An order line was bought.
    Purchase,
}

impl EventType {
    /// All canonical types, in funnel order.
    pub const ALL: [EventType; 8] = [
        Self::PageView,
        Self::Click,
        Self::Search,
        Self::ProductView,
        Self::AddToCart,
        Self::RemoveFromCart,
        Self::BeginCheckout,
        Self::Purchase,
    ];

    /// The canonical spelling (`page_view`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PageView => "page_view",
            Self::Click => "click",
            Self::Search => "search",
            Self::ProductView => "product_view",
            Self::AddToCart => "add_to_cart",
            Self::RemoveFromCart => "remove_from_cart",
            Self::BeginCheckout => "begin_checkout",
            Self::Purchase => "purchase",
        }
    }

    /// Conformance rule 1: trim, lower-case, `-` and space become `_`, then the synonyms
    /// `pageview`, `addtocart`, `checkout`; `None` when the result is not canonical.
    pub fn normalize(raw: &str) -> Option<Self> {
        let cleaned: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        match cleaned.as_str() {
            "pageview" => Some(Self::PageView),
            "addtocart" => Some(Self::AddToCart),
            "checkout" => Some(Self::BeginCheckout),
            other => other.parse().ok(),
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = String;
    /// Exact canonical spelling only; see [`EventType::normalize`] for the lenient rule.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a canonical event type"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_follows_the_conformance_rule() {
        assert_eq!(
            EventType::normalize(" Page-View "),
            Some(EventType::PageView)
        );
        assert_eq!(EventType::normalize("PAGEVIEW"), Some(EventType::PageView));
        assert_eq!(
            EventType::normalize("add to cart"),
            Some(EventType::AddToCart)
        );
        assert_eq!(
            EventType::normalize("AddToCart"),
            Some(EventType::AddToCart)
        );
        assert_eq!(
            EventType::normalize("Checkout"),
            Some(EventType::BeginCheckout)
        );
        assert_eq!(EventType::normalize("purchase"), Some(EventType::Purchase));
        assert_eq!(EventType::normalize("page__view"), None);
        assert_eq!(EventType::normalize("refund"), None);
        assert_eq!(EventType::normalize(""), None);
    }
}
