//! [`hm_plugin!`]: the entry symbol and the `hm_plugin` table, generated.

/// Declares a native plugin: its manifest and the types implementing its capabilities.
///
/// ```ignore
/// harmont_plugin::hm_plugin!(
///     manifest = my_manifest(),
///     executor = MyExecutor,
///     hook = MyHook,
///     subcommand = MyCommands,
/// );
/// ```
///
/// Keywords come in any order, each at most once; `manifest` (an expression evaluated once,
/// at load) is required, the three capability types (implementing [`StepExecutor`],
/// [`LifecycleHook`] and [`Subcommand`], built with `Default`) are optional, and an absent
/// one answers with the error code `not_implemented`. The expansion exports
/// `hm_plugin_entry_v1`, decodes each input (error code `deserialize`), encodes each
/// result, and turns a panic into the error code `panic` instead of unwinding into the host.
///
/// [`StepExecutor`]: crate::StepExecutor
/// [`LifecycleHook`]: crate::LifecycleHook
/// [`Subcommand`]: crate::Subcommand
#[macro_export]
macro_rules! hm_plugin {
    ($($args:tt)*) => {
        $crate::__hm_plugin_parse!([] [] [] [] $($args)*);
    };
}

/// Sorts the keywords of [`hm_plugin!`] into four slots: manifest, executor, hook, subcommand.
#[doc(hidden)]
#[macro_export]
macro_rules! __hm_plugin_parse {
    ([] $e:tt $h:tt $s:tt manifest = $m:expr $(, $($rest:tt)*)?) => {
        $crate::__hm_plugin_parse!([$m] $e $h $s $($($rest)*)?);
    };
    ($m:tt [] $h:tt $s:tt executor = $t:ty $(, $($rest:tt)*)?) => {
        $crate::__hm_plugin_parse!($m [$t] $h $s $($($rest)*)?);
    };
    ($m:tt $e:tt [] $s:tt hook = $t:ty $(, $($rest:tt)*)?) => {
        $crate::__hm_plugin_parse!($m $e [$t] $s $($($rest)*)?);
    };
    ($m:tt $e:tt $h:tt [] subcommand = $t:ty $(, $($rest:tt)*)?) => {
        $crate::__hm_plugin_parse!($m $e $h [$t] $($($rest)*)?);
    };
    ($m:tt $e:tt $h:tt $s:tt $key:ident = $($rest:tt)*) => {
        compile_error!(concat!(
            "hm_plugin!: `", stringify!($key),
            "` is given twice or is not a keyword (expected manifest, executor, hook, subcommand)"
        ));
    };
    ([] $e:tt $h:tt $s:tt) => {
        compile_error!("hm_plugin!: `manifest = <expression>` is required");
    };
    ([$m:expr] [$($e:ty)?] [$($h:ty)?] [$($s:ty)?]) => {
        const _: () = {
            fn __hm_manifest() -> $crate::protocol::PluginManifest {
                $m
            }

            unsafe extern "C" fn __hm_manifest_fn(out: *mut $crate::abi::HmBuf) -> i32 {
                static CACHE: ::std::sync::OnceLock<
                    ::core::result::Result<::std::vec::Vec<u8>, $crate::protocol::PluginError>,
                > = ::std::sync::OnceLock::new();
                $crate::__private::manifest(out, &CACHE, __hm_manifest)
            }

            static __HM_PLUGIN: $crate::abi::HmPlugin = $crate::abi::HmPlugin {
                api_version: $crate::API_VERSION,
                struct_size: ::core::mem::size_of::<$crate::abi::HmPlugin>() as u32,
                manifest: ::core::option::Option::Some(__hm_manifest_fn),
                execute_step: ::core::option::Option::Some(
                    $crate::__hm_plugin_capability!(StepExecutor, run, $($e)?)
                ),
                on_hook_event: ::core::option::Option::Some(
                    $crate::__hm_plugin_capability!(LifecycleHook, on_event, $($h)?)
                ),
                run_subcommand: ::core::option::Option::Some(
                    $crate::__hm_plugin_capability!(Subcommand, run, $($s)?)
                ),
                free: ::core::option::Option::Some($crate::__private::free),
            };

            #[unsafe(no_mangle)]
            extern "C" fn hm_plugin_entry_v1(_host_api_version: u32) -> *const $crate::abi::HmPlugin {
                &__HM_PLUGIN
            }
        };
    };
}

/// One capability slot of the `hm_plugin` table: the glue around `T`, or `not_implemented`.
#[doc(hidden)]
#[macro_export]
macro_rules! __hm_plugin_capability {
    ($trait:ident, $method:ident,) => {
        $crate::__private::not_implemented
    };
    ($trait:ident, $method:ident, $t:ty) => {{
        unsafe extern "C" fn __hm_call(
            ctx: *const $crate::abi::HmCtx,
            input: *const u8,
            input_len: usize,
            out: *mut $crate::abi::HmBuf,
        ) -> i32 {
            static INSTANCE: ::std::sync::OnceLock<$t> = ::std::sync::OnceLock::new();
            $crate::__private::call(ctx, input, input_len, out, |context, decoded| {
                let instance = INSTANCE.get_or_init(<$t as ::core::default::Default>::default);
                <$t as $crate::$trait>::$method(instance, context, decoded)
            })
        }
        __hm_call as $crate::abi::CapabilityFn
    }};
}
