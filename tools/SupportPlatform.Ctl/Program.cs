using SupportPlatform.Ctl;

return await CtlApp.RunAsync(args, CtlConsole.System());
