using System;

// Usage: Net8Host rendernet.dll out.png nodes
static class Program
{
    static int Main(string[] args)
    {
        Console.WriteLine(UnityStandIn.RenderScript.Run(args[0], args[1], int.Parse(args[2])));
        return 0;
    }
}
