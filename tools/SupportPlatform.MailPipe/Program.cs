using SupportPlatform.MailPipe;

return await Pipe.RunAsync(args, Console.OpenStandardInput(), Console.Error, Environment.GetEnvironmentVariable);
