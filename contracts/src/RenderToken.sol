// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title RenderNet's payment token: a plain ERC-20 with EIP-2612 permit, the whole supply minted to the deployer.
contract RenderToken is ERC20, ERC20Permit {
    constructor(uint256 initialSupply) ERC20("RenderNet Token", "RNT") ERC20Permit("RenderNet Token") {
        _mint(msg.sender, initialSupply);
    }
}
