//! The StatusNotifierItem: icon, tooltip and menu, all derived from the [`State`].

use ksni::menu::MenuItem;
use ksni::{Handle, Icon, ToolTip};
use tokio::sync::mpsc::UnboundedSender;

use crate::actions::Action;
use crate::icon;
use crate::menu::{self, Dispatch};
use crate::role::Role;
use crate::state::State;

pub struct LeovmsTray {
    pub state: State,
    clicks: UnboundedSender<Action>,
}

impl LeovmsTray {
    /// `role` decides which items the menu shows (see [`Role`]).
    pub fn new(clicks: UnboundedSender<Action>, role: Role) -> LeovmsTray {
        let mut state = State::default();
        state.role = role;
        LeovmsTray { state, clicks }
    }
}

impl Dispatch for LeovmsTray {
    fn dispatch(&mut self, action: Action) {
        match action {
            // Only the menu changes: ksni rebuilds it after the callback.
            Action::ChooseRam { vm, mb } => {
                self.state.ram.insert(vm, mb);
            }
            action => {
                // Fails only while the tray shuts down.
                let _ = self.clicks.send(action);
            }
        }
    }
}

impl ksni::Tray for LeovmsTray {
    /// A left click opens the menu: students need not know the right button.
    const MENU_ON_ACTIVATE: bool = true;

    fn id(&self) -> String {
        "leovms".into()
    }

    fn title(&self) -> String {
        self.state.tooltip().0
    }

    fn icon_name(&self) -> String {
        icon::name(self.state.look()).into()
    }

    fn icon_pixmap(&self) -> Vec<Icon> {
        vec![icon::pixmap(self.state.look())]
    }

    fn tool_tip(&self) -> ToolTip {
        let (title, description) = self.state.tooltip();
        ToolTip {
            title,
            description,
            ..Default::default()
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        menu::build(&self.state)
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        // Keep going: the icon is registered as soon as a panel (watcher) appears.
        tracing::info!("no tray host on the bus yet ({reason:?}); waiting for one");
        true
    }

    fn watcher_online(&self) {
        tracing::info!("a tray host appeared; the icon is registered");
    }
}

/// Changes the state shown by the running tray; ksni then sends what changed.
#[derive(Clone)]
pub struct Ui(Handle<LeovmsTray>);

impl Ui {
    pub fn new(handle: Handle<LeovmsTray>) -> Ui {
        Ui(handle)
    }

    /// `None` once the tray has shut down.
    pub async fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        self.0.update(|tray| f(&mut tray.state)).await
    }
}
