//! # monotable-derive
//!
//! `#[derive(Entity)]`: turns a serde struct into a monotable entity. It writes the
//! `KeySchema` and `Entity` impls, a key struct (`{Name}Key`) holding the attributes of the
//! primary key templates, and one `Path` constant per field (`User::EMAIL`) for typed
//! conditions and updates. A template that names a field the struct does not have is a
//! compile error.
//!
//! ```ignore
//! #[derive(Serialize, Deserialize, Entity)]
//! #[monotable(entity = "User", pk = "USER#{user_id}", sk = "PROFILE",
//!             index(name = "gsi1", pk = "EMAIL#{email}", sk = "USER"))]
//! struct User { user_id: String, email: String }
//! ```
//!
//! Container options: `entity`, `pk`, `sk`, `index(name, pk, sk)`, `local_index(name, sk)`,
//! `index(name, partition = "field, ..", sort = "field, ..")` (a global index over the fields
//! themselves, no template: a multi-attribute index of up to four partition and four sort
//! fields, each keeping its type; `Entity::query_<name>(..)` takes the partition fields and
//! its sort methods a leading run of the sort fields),
//! `entity_attribute`, `created`, `modified`, `timestamps = false`, `version`, `unique`
//! (a field, or several separated by commas, each unique on its own), `ttl` (an integer
//! field of epoch seconds, the table's TTL attribute), `schema_version = N` and
//! `upgrade = "path"` (a `fn(&mut Item, from: u32) -> Result<()>` that turns older stored
//! shapes into the current one), `debug` (a `Debug`
//! impl that prints `<redacted>` for sensitive fields), `validate`
//! (a function `fn(&Self) -> monotable::Result<()>`), `key` (the key struct's name),
//! `crate` (the path of the monotable crate, default `::monotable`). Field option:
//! `#[monotable(encrypt)]` (stored as AES-256-GCM ciphertext under the installed keyring;
//! never in a key template), `#[monotable(sensitive)]` (redacted by the `debug` option and in monotable's error
//! messages), `#[monotable(generate = "ulid" | "uuid_v4" | "uuid_v7")]` (filled by `create`
//! when empty, before the keys are composed), `#[monotable(default = "expression")]` (filled
//! on every whole-entity write when empty; the expression has the field's type).

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, ExprLit, Fields, Lit, LitStr, Meta, Token};

/// Derives `monotable::Entity` and `monotable::KeySchema`; see the crate documentation.
#[proc_macro_derive(Entity, attributes(monotable))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Derives `monotable::entity::Collection` for an enum whose variants each hold one entity
/// (`enum RepoItems { Repo(Repo), Issue(Issue) }`): an item decodes into the variant whose
/// entity type it carries; other entity types are left out. `#[monotable(crate = "...")]`
/// names the monotable crate as for `Entity`.
#[proc_macro_derive(Collection, attributes(monotable))]
pub fn derive_collection(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand_collection(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand_collection(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let (o, _) = parse_options(input)?;
    let krate = o
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::monotable));
    let Data::Enum(e) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Collection)] needs an enum with one entity per variant",
        ));
    };
    let mut arms = Vec::new();
    for v in &e.variants {
        let Fields::Unnamed(f) = &v.fields else {
            return Err(syn::Error::new_spanned(
                v,
                "each variant holds one entity: `Variant(Entity)`",
            ));
        };
        if f.unnamed.len() != 1 {
            return Err(syn::Error::new_spanned(
                v,
                "each variant holds one entity: `Variant(Entity)`",
            ));
        }
        let (vname, ty) = (&v.ident, &f.unnamed[0].ty);
        arms.push(quote! {
            if #krate::entity::is_entity::<#ty>(item) {
                return #krate::entity::decode::<#ty>(item).map(|e| ::core::option::Option::Some(Self::#vname(e)));
            }
        });
    }
    let name = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_g #krate::entity::Collection for #name #ty_g #where_g {
            fn from_item(item: &#krate::Item) -> #krate::Result<::core::option::Option<Self>> {
                #(#arms)*
                ::core::result::Result::Ok(::core::option::Option::None)
            }
        }
    })
}

struct Index {
    name: LitStr,
    pk: Option<LitStr>,
    sk: Option<LitStr>,
    local: bool,
    /// `partition = "a, b"`: the index's keys are these fields themselves (no template).
    partition: Vec<syn::Ident>,
    /// `sort = "c, d"`: with `partition`, the index's sort attributes.
    sort: Vec<syn::Ident>,
}

impl Index {
    /// True for an index over the entity's own fields (`partition = ".."`, `sort = ".."`).
    fn over_fields(&self) -> bool {
        !self.partition.is_empty()
    }
}

#[derive(Default)]
struct Options {
    entity: Option<LitStr>,
    pk: Option<LitStr>,
    sk: Option<LitStr>,
    indexes: Vec<Index>,
    entity_attribute: Option<Option<LitStr>>,
    created: Option<Option<LitStr>>,
    modified: Option<Option<LitStr>>,
    version: Option<LitStr>,
    validate: Option<syn::Path>,
    unique: Vec<LitStr>,
    ttl: Option<LitStr>,
    schema_version: Option<syn::LitInt>,
    upgrade: Option<syn::Path>,
    debug: bool,
    key: Option<syn::Ident>,
    krate: Option<syn::Path>,
}

fn lit_str(e: &Expr) -> syn::Result<LitStr> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(other, "expected a string literal")),
    }
}

/// A string, or `false` to turn the attribute off.
fn lit_str_or_off(e: &Expr) -> syn::Result<Option<LitStr>> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) if !b.value => Ok(None),
        other => lit_str(other).map(Some),
    }
}

fn parse_index(list: &syn::MetaList, local: bool) -> syn::Result<Index> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(list.tokens.clone())?;
    let (mut name, mut pk, mut sk) = (None, None, None);
    let (mut partition, mut sort) = (Vec::new(), Vec::new());
    for m in metas {
        let key = m.path().get_ident().map(|i| i.to_string());
        let Meta::NameValue(nv) = &m else {
            return Err(syn::Error::new_spanned(m, "expected name = \"...\""));
        };
        let v = lit_str(&nv.value)?;
        match key.as_deref() {
            Some("partition" | "sort") if !local => {
                // A comma-separated list of field names, in key-schema order.
                let idents = v
                    .value()
                    .split(',')
                    .map(str::trim)
                    .map(|f| {
                        syn::parse_str::<syn::Ident>(f)
                            .map(|i| syn::Ident::new(&i.to_string(), v.span()))
                    })
                    .collect::<syn::Result<Vec<_>>>()
                    .map_err(|_| {
                        syn::Error::new_spanned(&v, "expected field names separated by commas")
                    })?;
                if idents.is_empty() || idents.len() > 4 {
                    return Err(syn::Error::new_spanned(
                        &v,
                        "a multi-attribute index takes one to four fields here",
                    ));
                }
                if key.as_deref() == Some("partition") {
                    partition = idents;
                } else {
                    sort = idents;
                }
            }
            Some("name") => name = Some(v),
            Some("pk") if !local => pk = Some(v),
            Some("sk") => sk = Some(v),
            _ => return Err(syn::Error::new_spanned(&nv.path, "unknown index option")),
        }
    }
    let name =
        name.ok_or_else(|| syn::Error::new_spanned(list, "an index needs name = \"...\""))?;
    if !partition.is_empty() && (pk.is_some() || sk.is_some()) {
        return Err(syn::Error::new_spanned(
            list,
            "an index over fields (partition = \"..\", sort = \"..\") takes no pk/sk template",
        ));
    }
    if !sort.is_empty() && partition.is_empty() {
        return Err(syn::Error::new_spanned(
            list,
            "sort = \"..\" needs partition = \"..\": the index's partition fields",
        ));
    }
    if !local && pk.is_none() && partition.is_empty() {
        return Err(syn::Error::new_spanned(
            list,
            "a global index needs pk = \"...\" or partition = \"field, ..\"",
        ));
    }
    if local && sk.is_none() {
        return Err(syn::Error::new_spanned(
            list,
            "a local index needs sk = \"...\"",
        ));
    }
    Ok(Index {
        name,
        pk,
        sk,
        local,
        partition,
        sort,
    })
}

/// The fields an index over fields names, in order; a name that is not a field, or an
/// encrypted field (its stored value is ciphertext), is a compile error.
fn index_fields<'a>(
    idents: &[syn::Ident],
    fields: &'a [Field],
    entity: &str,
) -> syn::Result<Vec<&'a Field>> {
    idents
        .iter()
        .map(|id| {
            let f = fields
                .iter()
                .find(|f| {
                    f.ident.to_string().trim_start_matches("r#")
                        == id.to_string().trim_start_matches("r#")
                })
                .ok_or_else(|| {
                    syn::Error::new_spanned(id, format!("`{id}` is not a field of {entity}"))
                })?;
            if f.encrypt {
                return Err(syn::Error::new_spanned(
                    id,
                    format!("`{id}` is encrypted: its stored value cannot be an index key"),
                ));
            }
            Ok(f)
        })
        .collect()
}

fn parse_options(input: &DeriveInput) -> syn::Result<(Options, Option<String>)> {
    let mut o = Options::default();
    let mut rename_all = None;
    for attr in &input.attrs {
        if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|m| {
                if m.path.is_ident("rename_all") {
                    rename_all = Some(m.value()?.parse::<LitStr>()?.value());
                } else if m.input.peek(Token![=]) {
                    let _: Expr = m.value()?.parse()?;
                }
                Ok(())
            });
            continue;
        }
        if !attr.path().is_ident("monotable") {
            continue;
        }
        let metas = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        for m in metas {
            let ident = m
                .path()
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match (&m, ident.as_str()) {
                (Meta::List(l), "index") => o.indexes.push(parse_index(l, false)?),
                (Meta::List(l), "local_index") => o.indexes.push(parse_index(l, true)?),
                (Meta::Path(_), "debug") => o.debug = true,
                (Meta::NameValue(nv), key) => match key {
                    "entity" => o.entity = Some(lit_str(&nv.value)?),
                    "pk" => o.pk = Some(lit_str(&nv.value)?),
                    "sk" => o.sk = Some(lit_str(&nv.value)?),
                    "entity_attribute" => o.entity_attribute = Some(lit_str_or_off(&nv.value)?),
                    "created" => o.created = Some(lit_str_or_off(&nv.value)?),
                    "modified" => o.modified = Some(lit_str_or_off(&nv.value)?),
                    "timestamps" => {
                        if lit_str_or_off(&nv.value).is_ok_and(|v| v.is_none()) {
                            o.created = Some(None);
                            o.modified = Some(None);
                        } else {
                            return Err(syn::Error::new_spanned(
                                &nv.value,
                                "timestamps only takes false",
                            ));
                        }
                    }
                    "version" => o.version = Some(lit_str(&nv.value)?),
                    "validate" => o.validate = Some(lit_str(&nv.value)?.parse()?),
                    "unique" => o.unique.push(lit_str(&nv.value)?),
                    "ttl" => o.ttl = Some(lit_str(&nv.value)?),
                    "schema_version" => match &nv.value {
                        Expr::Lit(ExprLit {
                            lit: Lit::Int(i), ..
                        }) => o.schema_version = Some(i.clone()),
                        other => {
                            return Err(syn::Error::new_spanned(
                                other,
                                "schema_version takes an integer",
                            ))
                        }
                    },
                    "upgrade" => o.upgrade = Some(lit_str(&nv.value)?.parse()?),
                    "key" => o.key = Some(lit_str(&nv.value)?.parse()?),
                    "crate" => o.krate = Some(lit_str(&nv.value)?.parse()?),
                    _ => {
                        return Err(syn::Error::new_spanned(
                            &nv.path,
                            format!("unknown monotable option `{key}`"),
                        ))
                    }
                },
                _ => return Err(syn::Error::new_spanned(m, "unknown monotable option")),
            }
        }
    }
    Ok((o, rename_all))
}

fn rename(name: &str, rule: Option<&str>) -> String {
    let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    match rule {
        Some("lowercase") => name.to_lowercase(),
        Some("UPPERCASE") => name.to_uppercase(),
        Some("PascalCase") => words.iter().map(|w| cap(w)).collect(),
        Some("camelCase") => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { w.to_string() } else { cap(w) })
            .collect(),
        Some("SCREAMING_SNAKE_CASE") => name.to_uppercase(),
        Some("kebab-case") => name.replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => name.replace('_', "-").to_uppercase(),
        _ => name.to_string(),
    }
}

struct Field {
    ident: syn::Ident,
    ty: syn::Type,
    stored: String,
    serde_attrs: Vec<syn::Attribute>,
    sensitive: bool,
    encrypt: bool,
    generate: Option<LitStr>,
    default: Option<Expr>,
}

fn fields(input: &DeriveInput, rename_all: Option<&str>) -> syn::Result<Vec<Field>> {
    let Data::Struct(s) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Entity)] needs a struct",
        ));
    };
    let Fields::Named(named) = &s.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Entity)] needs named fields",
        ));
    };
    let mut out = Vec::new();
    for f in &named.named {
        let ident = f
            .ident
            .clone()
            .ok_or_else(|| syn::Error::new(f.span(), "unnamed field"))?;
        let raw = ident.to_string();
        let raw = raw.strip_prefix("r#").unwrap_or(&raw).to_string();
        let mut stored = rename(&raw, rename_all);
        let mut serde_attrs = Vec::new();
        let mut sensitive = false;
        let mut encrypt = false;
        let mut generate = None;
        let mut default = None;
        for attr in &f.attrs {
            if attr.path().is_ident("monotable") {
                attr.parse_nested_meta(|m| {
                    if m.path.is_ident("sensitive") {
                        sensitive = true;
                        Ok(())
                    } else if m.path.is_ident("encrypt") {
                        encrypt = true;
                        Ok(())
                    } else if m.path.is_ident("generate") {
                        let how: LitStr = m.value()?.parse()?;
                        if !matches!(how.value().as_str(), "ulid" | "uuid_v4" | "uuid_v7") {
                            return Err(syn::Error::new_spanned(
                                &how,
                                "generate takes \"ulid\", \"uuid_v4\" or \"uuid_v7\"",
                            ));
                        }
                        generate = Some(how);
                        Ok(())
                    } else if m.path.is_ident("default") {
                        let text: LitStr = m.value()?.parse()?;
                        default = Some(text.parse::<Expr>()?);
                        Ok(())
                    } else {
                        Err(m.error(
                            "unknown field option: expected `sensitive`, `encrypt`, `generate` or `default`",
                        ))
                    }
                })?;
            }
            if attr.path().is_ident("serde") {
                serde_attrs.push(attr.clone());
                let _ = attr.parse_nested_meta(|m| {
                    if m.path.is_ident("rename") {
                        stored = m.value()?.parse::<LitStr>()?.value();
                    } else if m.input.peek(Token![=]) {
                        let _: Expr = m.value()?.parse()?;
                    }
                    Ok(())
                });
            }
        }
        out.push(Field {
            ident,
            ty: f.ty.clone(),
            stored,
            serde_attrs,
            sensitive,
            encrypt,
            generate,
            default,
        });
    }
    Ok(out)
}

/// Checks a template at compile time with core's own parser; returns its attributes.
/// The attributes a key template names, each a field of the entity or, in an index
/// template, one of `timestamps` (the creation and modification time attributes, which
/// monotable writes). A primary key template cannot use a timestamp: the item's key would
/// change on every write, or be unknown to a get.
fn template_attributes(
    lit: &LitStr,
    fields: &[Field],
    entity: &str,
    timestamps: &[String],
    index: bool,
) -> syn::Result<Vec<String>> {
    let t = monotable_core::KeyTemplate::new(lit.value());
    t.check()
        .map_err(|e| syn::Error::new_spanned(lit, e.to_string()))?;
    let attrs: Vec<String> = t.attributes().into_iter().map(str::to_string).collect();
    for a in &attrs {
        if fields.iter().any(|f| &f.stored == a) {
            continue;
        }
        if timestamps.contains(a) {
            if index {
                continue;
            }
            return Err(syn::Error::new_spanned(
                lit,
                format!(
                    "the primary key cannot use the timestamp `{a}`: the key would change on \
                     every write (index key templates may use it)"
                ),
            ));
        }
        return Err(syn::Error::new_spanned(
            lit,
            format!("key template names `{a}`, which is not a field of {entity}"),
        ));
    }
    for a in t.padded_attributes() {
        if let Some(f) = fields.iter().find(|f| f.stored == a) {
            if !is_integer(&f.ty) {
                return Err(syn::Error::new_spanned(
                    lit,
                    format!("key template zero-pads `{a}`, which is not an integer field"),
                ));
            }
        }
    }
    Ok(attrs)
}

/// The last path segment of a type, and its one generic argument if any (`Option<T>`).
fn type_name(ty: &syn::Type) -> Option<(String, Option<&syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let arg = match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), arg))
}

/// An integer type, or an `Option` of one.
fn is_integer(ty: &syn::Type) -> bool {
    match type_name(ty) {
        Some((name, Some(inner))) if name == "Option" => is_integer(inner),
        Some((name, _)) => matches!(
            name.as_str(),
            "u8" | "u16"
                | "u32"
                | "u64"
                | "u128"
                | "usize"
                | "i8"
                | "i16"
                | "i32"
                | "i64"
                | "i128"
                | "isize"
        ),
        None => false,
    }
}

/// Whether every item must have the field: not an `Option`, no serde default or skip.
fn is_required(f: &Field) -> bool {
    if matches!(type_name(&f.ty), Some((name, _)) if name == "Option") {
        return false;
    }
    let mut optional = false;
    for attr in &f.serde_attrs {
        let _ = attr.parse_nested_meta(|m| {
            if m.path.is_ident("default")
                || m.path.is_ident("skip")
                || m.path.is_ident("skip_serializing_if")
                || m.path.is_ident("skip_serializing")
            {
                optional = true;
            }
            if m.input.peek(Token![=]) {
                let _: Expr = m.value()?.parse()?;
            }
            Ok(())
        });
    }
    !optional
}

/// `T` for `Option<T>`, else the type itself.
/// An integer or a float (through `Option`): stored as a number.
fn is_number(ty: &syn::Type) -> bool {
    is_integer(ty)
        || matches!(type_name(option_inner(ty)), Some((n, _)) if n == "f32" || n == "f64")
}

fn option_inner(ty: &syn::Type) -> &syn::Type {
    match type_name(ty) {
        Some((name, Some(inner))) if name == "Option" => inner,
        _ => ty,
    }
}

fn vis_of(input: &DeriveInput) -> syn::Visibility {
    input.vis.clone()
}

fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in s.chars() {
        if c == '_' || c == '-' || c == '.' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '-' || c == '.' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields a template reads, in order, without repeats.
fn template_fields<'a>(lit: Option<&LitStr>, fields: &'a [Field]) -> Vec<&'a Field> {
    let Some(lit) = lit else { return Vec::new() };
    let t = monotable_core::KeyTemplate::new(lit.value());
    let mut out: Vec<&Field> = Vec::new();
    for a in t.attributes() {
        if let Some(f) = fields.iter().find(|f| f.stored == a) {
            if !out.iter().any(|x| x.stored == f.stored) {
                out.push(f);
            }
        }
    }
    out
}

/// One typed access pattern per key: `Entity::query(..)` for the table and
/// `Entity::query_<index>(..)` for each index, taking the partition template's fields with
/// their types, and returning a builder whose sort methods take a leading prefix of the sort
/// template's fields with their types.
fn access_patterns(
    o: &Options,
    fields: &[Field],
    name: &syn::Ident,
    vis: &syn::Visibility,
    krate: &syn::Path,
) -> syn::Result<TokenStream2> {
    let mut out = TokenStream2::new();
    let mut ctors = Vec::new();
    let entity_name = name.to_string();
    // (index, partition fields, sort fields, partition text, sort text, over fields)
    type Pattern<'a> = (
        Option<&'a LitStr>,
        Vec<&'a Field>,
        Vec<&'a Field>,
        String,
        String,
        bool,
    );
    let text = |t: Option<&LitStr>| t.map(LitStr::value).unwrap_or_default();
    let mut keys: Vec<Pattern> = vec![(
        None,
        template_fields(o.pk.as_ref(), fields),
        template_fields(o.sk.as_ref(), fields),
        text(o.pk.as_ref()),
        text(o.sk.as_ref()),
        false,
    )];
    for ix in &o.indexes {
        if ix.over_fields() {
            let p = index_fields(&ix.partition, fields, &entity_name)?;
            let s = index_fields(&ix.sort, fields, &entity_name)?;
            let list = |f: &[&Field]| {
                f.iter()
                    .map(|f| f.stored.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (pt, st) = (list(&p), list(&s));
            keys.push((Some(&ix.name), p, s, pt, st, true));
            continue;
        }
        let pk = if ix.local {
            o.pk.as_ref()
        } else {
            ix.pk.as_ref()
        };
        keys.push((
            Some(&ix.name),
            template_fields(pk, fields),
            template_fields(ix.sk.as_ref(), fields),
            text(pk),
            text(ix.sk.as_ref()),
            false,
        ));
    }
    for (index, pk_fields, sk_fields, pk_text, sk_text, over_fields) in keys {
        let (method, struct_name, index_tokens, what) = match index {
            None => (
                format_ident!("query"),
                format_ident!("{}Query", name),
                quote!(::core::option::Option::None),
                "the table".to_string(),
            ),
            Some(i) => (
                format_ident!("query_{}", snake(&i.value())),
                format_ident!("{}{}Query", name, pascal(&i.value())),
                quote!(::core::option::Option::Some(#i)),
                format!("index `{}`", i.value()),
            ),
        };
        // An index over fields takes each field's value as stored (an `Option`'s inner type).
        let arg_ty = |f: &Field| -> syn::Type {
            if over_fields {
                option_inner(&f.ty).clone()
            } else {
                f.ty.clone()
            }
        };
        let args = pk_fields.iter().map(|f| {
            let (ident, ty) = (&f.ident, arg_ty(f));
            quote!(#ident: impl #krate::expr::KeyArg<#ty>)
        });
        let values = pk_fields.iter().map(|f| {
            let (ident, ty, stored) = (&f.ident, arg_ty(f), &f.stored);
            quote!((#stored, #krate::expr::KeyArg::<#ty>::into_key_value(#ident)))
        });
        let pk_doc = if over_fields {
            format!(
                "Access pattern on {what}, over the fields themselves: partition attributes \
                 `{pk_text}`. Sort conditions on a leading run of `{sk_text}`."
            )
        } else {
            format!("Access pattern on {what}: the partition `{pk_text}`. Sort conditions on `{sk_text}`.")
        };
        ctors.push(quote! {
            #[doc = #pk_doc]
            #vis fn #method(#(#args),*) -> #struct_name {
                #struct_name(#krate::EntityQuery::<#name>::__pattern(#index_tokens, ::std::vec![#(#values),*]))
            }
        });
        let mut sort_methods = Vec::new();
        for k in 1..=sk_fields.len() {
            let prefix = &sk_fields[..k];
            let stem = prefix
                .iter()
                .map(|f| f.ident.to_string().trim_start_matches("r#").to_string())
                .collect::<Vec<_>>()
                .join("_and_");
            let names: Vec<String> = prefix.iter().map(|f| f.stored.clone()).collect();
            let one = |tag: &str| {
                let args = prefix.iter().map(|f| {
                    let ty = arg_ty(f);
                    let id =
                        format_ident!("{}{}", tag, f.ident.to_string().trim_start_matches("r#"));
                    quote!(#id: impl #krate::expr::KeyArg<#ty>)
                });
                let vals = prefix.iter().map(|f| {
                    let (ty, stored) = (arg_ty(f), &f.stored);
                    let id =
                        format_ident!("{}{}", tag, f.ident.to_string().trim_start_matches("r#"));
                    quote!((#stored, #krate::expr::KeyArg::<#ty>::into_key_value(#id)))
                });
                (quote!(#(#args),*), quote!(::std::vec![#(#vals),*]))
            };
            // begins_with needs a string or binary attribute: not on a number field.
            let numeric = over_fields && is_number(&prefix[k - 1].ty);
            for op in ["eq", "lt", "le", "gt", "ge", "begins_with"] {
                if numeric && op == "begins_with" {
                    continue;
                }
                let m = format_ident!("{}_{}", stem, op);
                let (args, vals) = one("");
                let doc = if over_fields && k > 1 {
                    format!(
                        "Sort condition: {} equal, and `{op}` on {}.",
                        names[..k - 1].join(", "),
                        names[k - 1]
                    )
                } else {
                    format!("Sort key condition `{op}` on {}.", names.join(", "))
                };
                sort_methods.push(quote! {
                    #[doc = #doc]
                    pub fn #m(self, #args) -> #krate::EntityQuery<#name> {
                        self.0.__sort(#op, #vals, ::std::vec::Vec::new())
                    }
                });
            }
            let m = format_ident!("{}_between", stem);
            let (low_args, low_vals) = one("low_");
            let (high_args, high_vals) = one("high_");
            let doc = if over_fields && k > 1 {
                format!(
                    "Sort condition: {} equal (the same in both bounds), and {} between two \
                     values, inclusive.",
                    names[..k - 1].join(", "),
                    names[k - 1]
                )
            } else {
                format!(
                    "Sort key between two values of {}, inclusive.",
                    names.join(", ")
                )
            };
            sort_methods.push(quote! {
                #[doc = #doc]
                pub fn #m(self, #low_args, #high_args) -> #krate::EntityQuery<#name> {
                    self.0.__sort("between", #low_vals, #high_vals)
                }
            });
        }
        let struct_doc = format!("A typed access pattern of `{name}` on {what}.");
        out.extend(quote! {
            #[doc = #struct_doc]
            #[derive(::core::fmt::Debug, ::core::clone::Clone)]
            #vis struct #struct_name(#krate::EntityQuery<#name>);

            impl #struct_name {
                /// The whole partition (for an entity whose sort template starts with a
                /// literal, only this entity's items).
                pub fn all(self) -> #krate::EntityQuery<#name> {
                    self.0
                }
                #(#sort_methods)*
            }

            impl ::core::convert::From<#struct_name> for #krate::EntityQuery<#name> {
                fn from(p: #struct_name) -> Self {
                    p.0
                }
            }
        });
    }
    out.extend(quote! {
        impl #name {
            #(#ctors)*
        }
    });
    Ok(out)
}

fn opt_str(v: &Option<Option<LitStr>>, default: &str) -> TokenStream2 {
    match v {
        None => quote!(::core::option::Option::Some(#default)),
        Some(None) => quote!(::core::option::Option::None),
        Some(Some(s)) => quote!(::core::option::Option::Some(#s)),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let (o, rename_all) = parse_options(input)?;
    let fields = fields(input, rename_all.as_deref())?;
    let name = &input.ident;
    let entity = o
        .entity
        .clone()
        .unwrap_or_else(|| LitStr::new(&name.to_string(), name.span()));
    let krate = o
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::monotable));
    let pk = o.pk.clone().ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "#[derive(Entity)] needs #[monotable(pk = \"...\")]",
        )
    })?;
    let entity_name = entity.value();
    // The timestamp attributes monotable writes, which index templates may use.
    let timestamps: Vec<String> = [(&o.created, "_ct"), (&o.modified, "_md")]
        .into_iter()
        .filter_map(|(v, default)| match v {
            None => Some(default.to_string()),
            Some(None) => None,
            Some(Some(s)) => Some(s.value()),
        })
        .collect();
    let mut key_attrs = template_attributes(&pk, &fields, &entity_name, &timestamps, false)?;
    if let Some(sk) = &o.sk {
        for a in template_attributes(sk, &fields, &entity_name, &timestamps, false)? {
            if !key_attrs.contains(&a) {
                key_attrs.push(a);
            }
        }
    }
    let mut index_calls = Vec::new();
    for ix in &o.indexes {
        for t in ix.pk.iter().chain(ix.sk.iter()) {
            template_attributes(t, &fields, &entity_name, &timestamps, true)?;
        }
        let iname = &ix.name;
        if ix.over_fields() {
            let stored = |ids: &[syn::Ident]| -> syn::Result<Vec<String>> {
                Ok(index_fields(ids, &fields, &entity_name)?
                    .into_iter()
                    .map(|f| f.stored.clone())
                    .collect())
            };
            let (p, s) = (stored(&ix.partition)?, stored(&ix.sort)?);
            index_calls.push(quote!(.with_attribute_index(#iname, &[#(#p),*], &[#(#s),*])));
            continue;
        }
        let sk = match &ix.sk {
            Some(s) => quote!(::core::option::Option::Some(#s)),
            None => quote!(::core::option::Option::None),
        };
        index_calls.push(if ix.local {
            let s = ix.sk.as_ref();
            quote!(.with_local_index(#iname, #s))
        } else {
            let p = ix.pk.as_ref();
            quote!(.with_index(#iname, #p, #sk))
        });
    }
    if let Some(v) = &o.version {
        match fields.iter().find(|f| f.stored == v.value()) {
            None => {
                return Err(syn::Error::new_spanned(
                    v,
                    format!(
                        "version names `{}`, which is not a field of {entity_name}",
                        v.value()
                    ),
                ))
            }
            Some(f) if !is_integer(&f.ty) => {
                return Err(syn::Error::new_spanned(
                    &f.ty,
                    format!(
                        "the version field `{}` must be an integer (u64, i64, ...)",
                        v.value()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    for f in &fields {
        if let Some(how) = &f.generate {
            let inner = option_inner(&f.ty);
            if !matches!(type_name(inner), Some((n, _)) if n == "String") {
                return Err(syn::Error::new_spanned(
                    how,
                    format!("`{}` is generated as text: it must be a String", f.ident),
                ));
            }
        }
    }
    let generated = fields.iter().filter_map(|f| {
        let stored = &f.stored;
        let how = match f.generate.as_ref()?.value().as_str() {
            "ulid" => quote!(Ulid),
            "uuid_v4" => quote!(UuidV4),
            _ => quote!(UuidV7),
        };
        Some(quote!((#stored, #krate::entity::Generate::#how)))
    });
    let defaults = fields.iter().filter_map(|f| {
        let (stored, ty, expr) = (&f.stored, &f.ty, f.default.as_ref()?);
        Some(quote! {
            if #krate::entity::is_empty_field(fields.get(#stored)) {
                let value: #ty = ::core::convert::Into::into(#expr);
                fields.insert(::std::string::String::from(#stored), #krate::Value::from_serialize(&value)?);
                filled = true;
            }
        })
    });
    let encrypted_names: Vec<&String> = fields
        .iter()
        .filter(|f| f.encrypt)
        .map(|f| &f.stored)
        .collect();
    let mut templates: Vec<&LitStr> = vec![&pk];
    templates.extend(o.sk.iter());
    for ix in &o.indexes {
        templates.extend(ix.pk.iter().chain(ix.sk.iter()));
    }
    for f in fields.iter().filter(|f| f.encrypt) {
        for t in &templates {
            if monotable_core::KeyTemplate::new(t.value())
                .attributes()
                .contains(&f.stored.as_str())
            {
                return Err(syn::Error::new_spanned(
                    t,
                    format!("`{}` is encrypted: it cannot be part of a key", f.stored),
                ));
            }
        }
        if o.unique
            .iter()
            .any(|u| u.value().split(',').any(|n| n.trim() == f.stored))
        {
            return Err(syn::Error::new_spanned(
                &f.ident,
                format!(
                    "`{}` is encrypted: it cannot be unique (its guard would hold the value)",
                    f.stored
                ),
            ));
        }
    }
    let sensitive_names: Vec<&String> = fields
        .iter()
        .filter(|f| f.sensitive)
        .map(|f| &f.stored)
        .collect();
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let debug_impl = o.debug.then(|| {
        let entries = fields.iter().map(|f| {
            let (ident, label) = (
                &f.ident,
                f.ident.to_string().trim_start_matches("r#").to_string(),
            );
            if f.sensitive {
                quote!(.field(#label, &"<redacted>"))
            } else {
                quote!(.field(#label, &self.#ident))
            }
        });
        let label = name.to_string();
        quote! {
            impl #impl_g ::core::fmt::Debug for #name #ty_g #where_g {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#label) #(#entries)* .finish()
                }
            }
        }
    });
    let ttl = match &o.ttl {
        Some(t) => match fields.iter().find(|f| f.stored == t.value()) {
            Some(f) if is_integer(&f.ty) => quote!(::core::option::Option::Some(#t)),
            Some(f) => {
                return Err(syn::Error::new_spanned(
                    &f.ty,
                    format!(
                        "the TTL field `{}` must be an integer (epoch seconds)",
                        t.value()
                    ),
                ))
            }
            None => {
                return Err(syn::Error::new_spanned(
                    t,
                    format!(
                        "ttl names `{}`, which is not a field of {entity_name}",
                        t.value()
                    ),
                ))
            }
        },
        None => quote!(::core::option::Option::None),
    };
    let schema_version = match (&o.schema_version, &o.upgrade) {
        (Some(v), Some(f)) => quote! {
            const SCHEMA_VERSION: u32 = #v;
            fn upgrade(item: &mut #krate::Item, from: u32) -> #krate::Result<()> {
                #f(item, from)
            }
        },
        (Some(v), None) => quote!(const SCHEMA_VERSION: u32 = #v;),
        (None, Some(f)) => {
            return Err(syn::Error::new_spanned(
                f,
                "upgrade needs schema_version = N",
            ))
        }
        (None, None) => quote!(),
    };
    let mut unique_names: Vec<String> = Vec::new();
    for lit in &o.unique {
        for name in lit
            .value()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if !fields.iter().any(|f| f.stored == name) {
                return Err(syn::Error::new_spanned(
                    lit,
                    format!("unique names `{name}`, which is not a field of {entity_name}"),
                ));
            }
            unique_names.push(name.to_string());
        }
    }
    // A field may not carry the stored name of an attribute monotable writes itself.
    let managed: Vec<String> = [
        (&o.entity_attribute, "_et"),
        (&o.created, "_ct"),
        (&o.modified, "_md"),
    ]
    .into_iter()
    .filter_map(|(opt, default)| match opt {
        None => Some(default.to_string()),
        Some(Some(s)) => Some(s.value()),
        Some(None) => None,
    })
    .collect();
    for f in &fields {
        if managed.contains(&f.stored) {
            return Err(syn::Error::new_spanned(
                &f.ident,
                format!(
                    "field `{}` is stored as `{}`, an attribute monotable manages (entity type \
                     or timestamp); rename it with #[serde(rename = \"...\")]",
                    f.ident, f.stored
                ),
            ));
        }
    }
    let sk_call = o.sk.as_ref().map(|s| quote!(.with_sort(#s)));
    let key_name = o
        .key
        .clone()
        .unwrap_or_else(|| format_ident!("{}Key", name));
    let key_fields: Vec<&Field> = key_attrs
        .iter()
        .filter_map(|a| fields.iter().find(|f| &f.stored == a))
        .collect();
    let kf_decl = key_fields.iter().map(|f| {
        let (ident, ty, attrs) = (&f.ident, &f.ty, &f.serde_attrs);
        let doc = format!("The `{}` attribute.", f.stored);
        quote!(#[doc = #doc] #(#attrs)* pub #ident: #ty)
    });
    let kf_init = key_fields.iter().map(|f| {
        let ident = &f.ident;
        quote!(#ident: ::core::clone::Clone::clone(&self.#ident))
    });
    let consts = fields.iter().map(|f| {
        let c = format_ident!(
            "{}",
            f.ident.to_string().trim_start_matches("r#").to_uppercase()
        );
        let stored = &f.stored;
        let ty = option_inner(&f.ty);
        let doc = format!(
            "Path of the `{stored}` attribute, for conditions and updates: values must convert \
             to its type."
        );
        quote!(#[doc = #doc] pub const #c: #krate::TypedPath<#ty> = #krate::TypedPath::new(#stored);)
    });
    let patterns = access_patterns(&o, &fields, name, &vis_of(input), &krate)?;
    let validate = o.validate.as_ref().map(|f| {
        quote!(
            const VALIDATES: bool = true;
            fn validate(&self) -> #krate::Result<()> { #f(self) }
        )
    });
    let attribute_list = fields.iter().map(|f| {
        let stored = &f.stored;
        let required = is_required(f);
        quote!(#krate::entity::EntityAttribute { name: #stored, required: #required })
    });
    let et = opt_str(&o.entity_attribute, "_et");
    let ct = opt_str(&o.created, "_ct");
    let md = opt_str(&o.modified, "_md");
    let version = match &o.version {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let serde_path = quote!(#krate::__private::serde)
        .to_string()
        .replace(' ', "");
    let key_doc =
        format!("The key of a {entity_name}: the attributes of its primary key templates.");
    let vis = &input.vis;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    Ok(quote! {
        #[doc = #key_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #krate::__private::serde::Serialize)]
        #[serde(crate = #serde_path)]
        #vis struct #key_name { #(#kf_decl,)* }

        impl #impl_g #name #ty_g #where_g {
            #(#consts)*

            /// This entity's key.
            pub fn key(&self) -> #key_name {
                #key_name { #(#kf_init,)* }
            }
        }

        #patterns

        #debug_impl

        impl #impl_g #krate::KeySchema for #name #ty_g #where_g {
            fn key_templates() -> #krate::EntityKeys {
                #krate::EntityKeys::new(#pk) #sk_call #(#index_calls)*
            }
        }

        impl #impl_g #krate::Entity for #name #ty_g #where_g {
            const ENTITY_TYPE: &'static str = #entity;
            type Key = #key_name;
            fn options() -> #krate::EntityOptions {
                #krate::EntityOptions {
                    entity_attribute: #et,
                    created_attribute: #ct,
                    modified_attribute: #md,
                    version_attribute: #version,
                }
            }
            fn generated() -> &'static [(&'static str, #krate::entity::Generate)] {
                &[#(#generated),*]
            }
            fn fill_defaults(fields: &mut #krate::Item) -> #krate::Result<bool> {
                let mut filled = false;
                #(#defaults)*
                ::core::result::Result::Ok(filled)
            }
            const TTL: ::core::option::Option<&'static str> = #ttl;
            #schema_version
            const UNIQUE: &'static [&'static str] = &[#(#unique_names),*];
            const SENSITIVE: &'static [&'static str] = &[#(#sensitive_names),*];
            const ENCRYPTED: &'static [&'static str] = &[#(#encrypted_names),*];
            fn attributes() -> ::core::option::Option<&'static [#krate::entity::EntityAttribute]> {
                ::core::option::Option::Some(&[#(#attribute_list),*])
            }
            #validate
        }
    })
}
